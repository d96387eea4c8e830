"""The governance itself: places, people, accounts, issues, party, co-building, KPIs."""
