"""Independent reference CAMs (tools/cam_reference.py); see docs/cam-conventions.md."""
