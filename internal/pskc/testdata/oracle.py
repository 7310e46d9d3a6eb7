"""Differential-test oracle for otpgate's internal/pskc, run with Debian's
python3-pskc.

  oracle.py write < spec.json > out.pskc
      spec: {"encryption": {"mode": "none"|"key"|"password", "key_hex",
             "password", "algorithm", "fields", "iterations", "key_name"},
             "keys": [KEY, ...]}
  oracle.py read FILE [--key HEX | --password PW] > keys.json
      prints [KEY, ...]

KEY holds id, algorithm, secret_hex, counter, time_offset, time_interval,
time_drift, algorithm_suite, serial, manufacturer, issuer, response_length,
response_encoding and userid; absent values are left out.
"""

import json
import sys

import pskc

FIELDS = ('id', 'algorithm', 'counter', 'time_offset', 'time_interval',
          'time_drift', 'algorithm_suite', 'serial', 'manufacturer',
          'issuer', 'response_length', 'response_encoding')


def write():
    spec = json.load(sys.stdin)
    p = pskc.PSKC()
    for k in spec['keys']:
        attrs = {f: k[f] for f in FIELDS if k.get(f) is not None}
        attrs['secret'] = bytes.fromhex(k['secret_hex'])
        if k.get('userid'):
            attrs['key_userid'] = k['userid']
        p.add_key(**attrs)
    enc = spec.get('encryption') or {}
    opts = {o: enc[o] for o in ('algorithm', 'fields', 'key_name') if enc.get(o)}
    if enc.get('mode') == 'key':
        p.encryption.setup_preshared_key(key=bytes.fromhex(enc['key_hex']), **opts)
    elif enc.get('mode') == 'password':
        p.encryption.setup_pbkdf2(enc['password'], iterations=enc.get('iterations'), **opts)
    p.write(sys.stdout.buffer)


def read(path, args):
    p = pskc.PSKC(path)
    if args[:1] == ['--key']:
        p.encryption.key = bytes.fromhex(args[1])
    elif args[:1] == ['--password']:
        p.encryption.derive_key(args[1])
    out = []
    for k in p.keys:
        d = {f: getattr(k, f) for f in FIELDS if getattr(k, f) is not None}
        if k.secret is not None:
            d['secret_hex'] = k.secret.hex()
        if k.userid:
            d['userid'] = k.userid
        out.append(d)
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    if sys.argv[1] == 'write':
        write()
    else:
        read(sys.argv[2], sys.argv[3:])
