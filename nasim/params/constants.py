"""Physical constants (CODATA 2018, exact in the SI)."""

GAS_CONSTANT = 8.314462618  # J/(mol K)
FARADAY = 96485.33212  # C/mol
AVOGADRO = 6.02214076e23  # 1/mol

__all__ = ["AVOGADRO", "FARADAY", "GAS_CONSTANT"]
