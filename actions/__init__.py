"""Custom actions served by rasa-sdk. Thin: the real work lives in ``bot``."""

import warnings

# rasa-sdk 3.21 warns on every call that the Rasa server (3.6.21) has another minor
# version. The HTTP contract they share is unchanged (checked in tests/test_e2e.py),
# so this one warning is silenced, knowingly.
warnings.filterwarnings(
    "ignore", message=r"Your versions of rasa and rasa_sdk might not be compatible"
)
