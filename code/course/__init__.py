"""Course code for *From Foundations to Transformers*."""

__version__ = "0.1.0"
