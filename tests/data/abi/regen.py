#!/usr/bin/env python3
"""Regenerates Sample.abi.json and Sample.hashes.txt from Sample.sol with the project's solc
(bin/solc, solc-js). Run from this directory: python3 regen.py"""
import json
import subprocess

src = open('Sample.sol').read()
inp = {"language": "Solidity", "sources": {"Sample.sol": {"content": src}},
       "settings": {"outputSelection": {"*": {"*": ["abi", "evm.methodIdentifiers"]}}}}
r = subprocess.run(['../../../bin/solc', '--standard-json'], input=json.dumps(inp),
                   capture_output=True, text=True, check=True)
c = json.loads(r.stdout)['contracts']['Sample.sol']['Sample']
json.dump(c['abi'], open('Sample.abi.json', 'w'), indent=1)
with open('Sample.hashes.txt', 'w') as f:
    for sig, h in sorted(c['evm']['methodIdentifiers'].items()):
        f.write(f"{h} {sig}\n")
