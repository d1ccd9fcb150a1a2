"""The base registries (基础库): natural-person and legal-person master records built by entity
resolution across departments' datasets, with golden records and provenance per attribute."""
