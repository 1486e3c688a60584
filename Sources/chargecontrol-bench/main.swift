print("chargecontrol-bench: not built yet")
