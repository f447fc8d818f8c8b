#!/bin/sh
# A stand-in "agent" for the command adapter: reads the prompt on stdin, answers on stdout.
prompt=$(cat)
echo "handled ticket $1: $prompt"
