"""Content users read: emergency numbers now; rights articles later."""
