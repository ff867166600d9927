print("ragd")
