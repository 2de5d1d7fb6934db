"""Custom actions served by rasa-sdk. Thin: the real work lives in ``bot``."""

import warnings

# rasa-sdk 3.21 warns on every call that the Rasa server (3.6.21) is older. The HTTP
# contract is unchanged between them (checked end to end in tests/test_e2e.py).
warnings.filterwarnings("ignore", message=".*Rasa SDK.*", category=UserWarning)
warnings.filterwarnings("ignore", message=".*compatible.*Rasa.*", category=UserWarning)
