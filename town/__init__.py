"""The town's configuration: agency, municipalities, districts, help categories and geography."""
