"""OpenWitness: evidence nobody can deny or alter, for people who film or report the police."""

__version__ = "0.1.0"
