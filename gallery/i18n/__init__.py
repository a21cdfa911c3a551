"""The interface in English, French and Spanish (setup.py installs it in the app).

Kept empty: process-pool workers import service_messages (a plain-Python module) through this
package, and must not load Flask.
"""
