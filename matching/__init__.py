"""Who should be offered which request: pure rules, and the database queries that apply them."""
