"""Answering: turn retrieved passages into an answer whose every claim cites its passage."""
