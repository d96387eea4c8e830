"""Every page without Streamlit, under its name in mapgov.ui; shared map code."""
