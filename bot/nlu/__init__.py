"""Custom Rasa NLU components.

This package runs inside the engine environment (Python 3.10, Rasa 3.6): it may import
rasa, spaCy and lingua, and nothing from the rest of ``bot``.
"""
