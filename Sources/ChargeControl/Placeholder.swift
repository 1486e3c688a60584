// ChargeControl: work in progress.
