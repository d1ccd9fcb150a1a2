"""公共数据平台: catalog → ingest → quality → registry → exchange → opendata · mydata → citizencode."""
