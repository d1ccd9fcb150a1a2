"""The guide to government services (政务服务事项): the catalogue of service items, the same at every
level (四级四同: name, code, type and basis), and each division's implementation list (办事指南:
conditions, materials with where each can be fetched from, time limits, fees, visits, process),
with spreadsheet import and export, Chinese full-text search and a guided finder (智能导服).
"""
