"""Analysis: trial tables -> figures, tables and a report per study."""
