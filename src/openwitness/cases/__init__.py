"""Complaints and officer records: forces, officers, incidents, reports, allegations, outcomes."""
