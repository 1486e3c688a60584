print("chargectl: not built yet")
