"""Importers that bring a blog over from another engine into a deskpress site folder."""
