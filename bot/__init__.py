"""Dalil: a multilingual assistant for migrants' rights and services."""
