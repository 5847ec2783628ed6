"""Map layers: one module per layer (communes, établissements, offres, territoires)."""
