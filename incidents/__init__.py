"""The domain of a personal-data breach: what is true about an incident, with no Prefect in it."""
