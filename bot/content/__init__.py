"""What users read: rights articles, emergency numbers and helplines, labels."""
