print("meter-sim: not built yet")
