"""The command lines over the package; scripts/{sweep,evidence,report}/*.py call these."""
