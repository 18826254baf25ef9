#!/usr/bin/env python3
"""`warden explain` over the real-template corpus (tests/corpus): how many custom resources,
where their providers are, and what each provider role's escalation probes decide.

Usage: cargo build -p warden-cli && python3 scripts/corpus-explain.py [-v]
"""
import collections
import glob
import json
import os
import subprocess
import sys

files=sorted(f for f in glob.glob('tests/corpus/**/*', recursive=True) if os.path.isfile(f) and f.endswith(('.yaml','.yml','.json','.template')) and os.path.dirname(f) != 'tests/corpus')
stats=collections.Counter(); esc=collections.Counter(); rows=[]
for f in files:
    r=subprocess.run(['./target/debug/warden','explain',f,'--format','json'],capture_output=True,text=True)
    if r.returncode!=0: stats['not read']+=1; continue
    e=json.loads(r.stdout); stats['read']+=1
    if e['resources']: stats['templates with custom resources']+=1
    for res in e['resources']:
        stats['custom resources']+=1
        p=res['provider']
        if not p: stats['provider outside template']+=1; continue
        own=[x for x in p['principals'] if x['kind']=='provider role'][0]
        probes=[c for c in own['checks'] if c['probe']]
        d=collections.Counter(c['decision'] for c in probes)
        if not probes: stats['provider role not evaluated (role unresolved / SAM-generated)']+=1
        elif d['allowed']: stats['provider role allows an escalation probe']+=1
        elif d['unknown']: stats['provider role: some probe unknown']+=1
        else: stats['provider role: every probe denied']+=1
        for c in probes:
            if c['decision']=='allowed': esc[c['action']]+=1
        if '-v' in sys.argv: print(f[13:90], res['logical_id'][:24], own['role'], dict(d), own['notes'][:1])
print(json.dumps(dict(stats), indent=1)); print(dict(esc))
