"""Generations, `/api/generations`, and files, `/api/files`: groups of videos paid for together
(charged at once, created in one batch), their status and progress kept on the row, the file
lookups by the provider's id, and the import of a browser's localStorage history."""

from ..core.capability import Capability
from .api import ROUTES, SCHEMAS

CAPABILITY = Capability("generations", routes=ROUTES, schemas=SCHEMAS)
