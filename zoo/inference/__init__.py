"""Using a trained run: length evaluation, text generation, translation,
and exporting its weights as a preset."""
