"""Helpers for tools/train_bundled.py (bundled Fashion-MNIST canvas model)."""
