"""Oversight: tasks (浙里督) · cockpit (驾驶舱)."""
