"""Benefits and social services: catalog, eligibility engine, appointments, ratings, complaints.

Domain package: never imports `robot` or `fleet`.
"""
