"""基础库: the natural-person and legal-person registries, built by entity resolution."""
