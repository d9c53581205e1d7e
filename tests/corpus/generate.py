#!/usr/bin/env python3
"""Writes the malformed-input corpus and its manifest (cases.toml) from the base files below.

Run from anywhere: `python3 tests/corpus/generate.py`. Each case is one file (or one command
line) that hapair must refuse with its documented exit code, a message and a location, in a
few seconds, without panicking. No private key is written: key-shaped files are garbage.
"""
import os, json

HERE = os.path.dirname(os.path.abspath(__file__))

BASE = '''name = "corpus"

[pki.ca.lab-ca]
subject = "CN=Lab CA,O=hapair lab"

[pki.cert.ts-a]
issuer = "lab-ca"
hosts = ["ts-a.lab.example"]

[pki.cert.ts-b]
issuer = "lab-ca"
hosts = ["ts-b.lab.example"]

[host.ts-a]
name = "ts-a.lab.example"
addp-timeout = "9s"

[host.ts-b]
name = "ts-b.lab.example"

[host.desk-1]
name = "desk-1.lab.example"

[app.ts_primary]
type = "tserver"
host = "ts-a"
backup = "ts_backup"
redundancy = "hot-standby"
reconnect-timeout = "10s"
security = { certificate = "ts-a", trusted-ca = "lab-ca" }

[app.ts_primary.port.default]
number = 3000
mode = "unsecured"

[app.ts_primary.port.ha]
number = 3002
mode = "secured"
ha-sync = true

[app.ts_primary.options.backup-sync]
protocol = "addp"
addp-timeout = 10
addp-remote-timeout = 10

[app.ts_backup]
type = "tserver"
host = "ts-b"
redundancy = "hot-standby"
security = { certificate = "ts-b", trusted-ca = "lab-ca" }

[app.ts_backup.port.default]
number = 3000
mode = "unsecured"

[app.ts_backup.port.ha]
number = 3002
mode = "secured"
ha-sync = true

[app.ts_backup.options.backup-sync]
protocol = "addp"
addp-timeout = 10
addp-remote-timeout = 10

[app.desk]
type = "client"
host = "desk-1"

[[connection]]
from = "desk"
to = "ts_primary"
port = "default"
'''

SCENARIO = '''name = "corpus scenario"
topology = "../base/topology.toml"
clock = 2026-06-01T08:00:00Z
seed = 1

[[step]]
at = "10s"
crash = "ts_primary"
label = "crash"

[[step]]
at = "20s"
restart = "ts_primary"
label = "restart"

[[expect]]
role = { app = "ts_backup", is = "primary" }
after = "crash"
within = "15s"
'''

cases = []

def write(rel, data):
    path = os.path.join(HERE, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode, **({} if mode == 'wb' else {'newline': ''})) as f:
        f.write(data)

def line_of(text, needle):
    at = text.find(needle)
    assert at >= 0, needle
    return text[:at].count('\n') + 1

def case(rel, args, exit, contains, line=None, located=True):
    c = {'name': rel if rel else ' '.join(args), 'args': args, 'exit': exit, 'contains': contains}
    if line is not None:
        c['at'] = f'{rel}:{line}:'
    elif located and rel:
        c['at'] = rel
    cases.append(c)

def topo(name, old, new, contains, needle=None, exit=2, count=1, plus=0):
    assert old in BASE, old
    text = BASE.replace(old, new, count)
    rel = f'topology/{name}.toml'
    write(rel, text)
    needle = needle if needle is not None else new.strip().splitlines()[0] if new.strip() else None
    case(rel, ['check', rel], exit, contains, line_of(text, needle) + plus if needle else None)

def topo_text(name, text, contains, needle=None, exit=2, cmd='check'):
    rel = f'topology/{name}.toml'
    write(rel, text)
    line = line_of(text, needle) if needle else None
    case(rel, [cmd, rel], exit, contains, line)

def scen(name, old, new, contains, needle=None, exit=2, base=SCENARIO):
    assert old in base, old
    text = base.replace(old, new, 1)
    rel = f'scenario/{name}.toml'
    write(rel, text)
    needle = needle if needle is not None else new.strip().splitlines()[-1]
    case(rel, ['run', rel], exit, contains, line_of(text, needle) if needle else None)
    # needle '' : the problem has no line of its own (the path is the location)

def add_step(name, step, contains, needle=None, exit=2):
    text = SCENARIO + '\n[[step]]\n' + step + '\n'
    rel = f'scenario/{name}.toml'
    write(rel, text)
    needle = needle if needle is not None else step.strip().splitlines()[-1]
    case(rel, ['run', rel], exit, contains, line_of(text, needle))

# --- positive: the base files, a byte-order mark, CRLF line ends ---
write('base/topology.toml', BASE)
case('base/topology.toml', ['check', 'base/topology.toml'], 0, 'ok  base/topology.toml', located=False)
write('base/bom-crlf.toml', b'\xef\xbb\xbf' + BASE.replace('\n', '\r\n').encode())
case('base/bom-crlf.toml', ['check', 'base/bom-crlf.toml'], 0, 'ok  base/bom-crlf.toml', located=False)
write('scenario/ok.toml', SCENARIO)
case('scenario/ok.toml', ['run', 'scenario/ok.toml'], 0, 'PASS', located=False)
write('scenario/ok-bom-crlf.toml', b'\xef\xbb\xbf' + SCENARIO.replace('\n', '\r\n').encode())
case('scenario/ok-bom-crlf.toml', ['run', 'scenario/ok-bom-crlf.toml'], 0, 'PASS', located=False)

# --- references to the wrong kind of object ---
topo('host-names-app', 'host = "ts-b"\nredundancy', 'host = "desk"\nredundancy', '`desk` is an application, not a host', 'host = "desk"')
topo('backup-names-host', 'backup = "ts_backup"', 'backup = "ts-b"', '`ts-b` is a host, not an application')
topo('connection-to-host', 'to = "ts_primary"', 'to = "ts-a"', '`ts-a` is a host, not an application')
topo('connection-from-host', 'from = "desk"', 'from = "desk-1"', '`desk-1` is a host, not an application')
topo('dap-database-host', '[[connection]]', '[app.dap]\ntype = "dap"\nhost = "ts-a"\ndatabase = "ts-b"\n\n[[connection]]', '`ts-b` is a host, not a database', 'database = "ts-b"')
topo('database-host-app', '[[connection]]', '[database.idb]\nrdbms = "postgresql"\nversion = "15"\nhost = "desk"\n\n[[connection]]', '`desk` is an application, not a host', 'host = "desk"\n\n[[conn')
topo('dangling-host', 'host = "ts-b"\nredundancy', 'host = "ts-c"\nredundancy', 'there is no host `ts-c`', 'host = "ts-c"')
topo('dangling-backup', 'backup = "ts_backup"', 'backup = "ts_bakup"', 'did you mean `ts_backup`', )
topo('dangling-cert', 'certificate = "ts-b"', 'certificate = "ts-c"', 'there is no certificate', 'certificate = "ts-c"')
topo('dangling-ca', 'trusted-ca = "lab-ca" }\n\n[app.ts_backup.port', 'trusted-ca = "lab-cb" }\n\n[app.ts_backup.port', 'there is no CA', 'trusted-ca = "lab-cb"')
topo('dangling-port', 'port = "default"', 'port = "defualt"', 'has no port with ID')
topo('self-backup', 'backup = "ts_backup"', 'backup = "ts_primary"', 'names itself')
topo('backup-cycle', 'type = "tserver"\nhost = "ts-b"', 'type = "tserver"\nbackup = "ts_primary"\nhost = "ts-b"', 'name each other', 'backup = "ts_backup"')
topo('icon-set-one', '[[connection]]', '[icon-ha.voice]\nicons = ["desk"]\nstores = ["gcc"]\n\n[[connection]]', 'needs two ICONs', '[icon-ha.voice]')
topo('icon-set-host', '[[connection]]', '[icon-ha.voice]\nicons = ["ts-a", "ts-b"]\nstores = ["gcc"]\n\n[[connection]]', '`ts-a` is a host, not an application', 'icons =')
topo('icon-role-bad', '[[connection]]', '[icon-ha.voice]\nicons = ["desk", "desk"]\nstores = ["gcb"]\n\n[[connection]]', 'is not an ICON role', 'stores =')

# --- options hapair reads ---
topo('option-section-typo', '[app.ts_backup.options.backup-sync]', '[app.ts_backup.options.backup-snyc]', 'did you mean `backup-sync`')
topo('option-key-typo', 'addp-timeout = 10\naddp-remote-timeout = 10\n\n[app.desk]', 'addp-timout = 10\naddp-remote-timeout = 10\n\n[app.desk]', 'did you mean `addp-timeout`', 'addp-timout')
topo('option-protocol-bad', 'protocol = "addp"', 'protocol = "adpp"', 'did you mean `addp`')
topo('option-addp-negative', 'addp-timeout = 10', 'addp-timeout = -10', 'a whole number of seconds')
topo('option-addp-huge', 'addp-timeout = 10', 'addp-timeout = 18446744073709551615', 'is not valid')
topo('option-addp-text', 'addp-remote-timeout = 10', 'addp-remote-timeout = "ten"', 'a whole number of seconds')
topo('option-table-value', 'protocol = "addp"', 'protocol = { x = 1 }', 'must be a string, number or boolean')

# --- values ---
topo('duplicate-port-number', 'number = 3002\nmode = "secured"', 'number = 3000\nmode = "secured"', 'is taken already', 'number = 3000\nmode = "secured"')
topo('empty-host-name', 'name = "ts-b.lab.example"', 'name = ""', 'is not a DNS name or IP address')
topo('host-name-bad-ip', 'name = "ts-b.lab.example"', 'name = "300.1.2.3"', 'looks like an IPv4 address')
topo('host-name-space', 'name = "ts-b.lab.example"', 'name = "ts b.lab.example"', 'a space')
topo('host-name-zone', 'name = "ts-b.lab.example"', 'name = "fe80::1%eth0"', 'zone')
topo('san-bad-ip', 'hosts = ["ts-b.lab.example"]', 'hosts = ["ts-b.lab.example", "999.1.1.1"]', 'is not a DNS name')
topo('san-zone', 'hosts = ["ts-b.lab.example"]', 'hosts = ["fe80::1%eth0"]', 'zone')
topo('san-space', 'hosts = ["ts-b.lab.example"]', 'hosts = ["ts b.lab.example"]', 'a space')
topo('san-empty', 'hosts = ["ts-b.lab.example"]', 'hosts = [""]', 'it is empty')
topo('subject-empty', 'subject = "CN=Lab CA,O=hapair lab"', 'subject = ""', 'subject ``')
topo('subject-garbage', 'subject = "CN=Lab CA,O=hapair lab"', 'subject = "garbage"', 'is not KEY=value')
topo('subject-unknown-attr', 'subject = "CN=Lab CA,O=hapair lab"', 'subject = "XX=Lab"', 'unknown attribute')
topo('cert-subject-bad', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nsubject = "CN="', 'has an empty value', 'subject = "CN="')
topo('validity-backwards', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nnot-before = 2027-01-01T00:00:00Z\nnot-after = 2026-01-01T00:00:00Z', 'ends before it starts', 'not-after')
topo('validity-offset-backwards', 'subject = "CN=Lab CA,O=hapair lab"', 'subject = "CN=Lab CA"\nnot-before = "+10d"\nnot-after = "+1d"', 'ends before it starts', 'not-after')
topo('validity-year-10000', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nnot-after = "+999999y"', 'unknown unit', 'not-after')
topo('validity-too-long', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nnot-after = "+99999999d"', 'too long a duration', 'not-after')
topo('validity-garbage', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nnot-before = "yesterday"', 'not an RFC 3339 instant', 'not-before')
topo('pki-clock-9999', 'name = "corpus"', 'name = "corpus"\n\n[pki]\nclock = 9999-12-31T23:59:59Z', 'from year 1970 to 9899', 'clock =')
topo('pki-clock-1900', 'name = "corpus"', 'name = "corpus"\n\n[pki]\nclock = 1900-01-01T00:00:00Z', 'from year 1970 to 9899', 'clock =')
topo('reconnect-huge', 'reconnect-timeout = "10s"', 'reconnect-timeout = "999999999s"', "limit of 366 days")
topo('addp-host-huge', 'addp-timeout = "9s"', 'addp-timeout = "99999999999"', "too long a duration")
topo('addp-host-negative', 'addp-timeout = "9s"', 'addp-timeout = "-9s"', "negative")
topo('addp-host-nan', 'addp-timeout = "9s"', 'addp-timeout = "nan"', "unknown unit")
topo('addp-host-inf', 'addp-timeout = "9s"', 'addp-timeout = inf', "unknown unit")
topo('addp-host-unit', 'addp-timeout = "9s"', 'addp-timeout = "9 parsecs"', "unknown unit")
topo('connection-addp-negative', 'port = "default"', 'port = "default"\naddp = { local = "-5s", remote = "10s" }', 'negative', 'addp =')
topo('port-number-big', 'number = 3002\nmode = "secured"', 'number = 70000\nmode = "secured"', 'not in 1..=65535', 'number = 70000')
topo('port-number-zero', 'number = 3002\nmode = "secured"', 'number = 0\nmode = "secured"', 'not in 1..=65535', 'number = 0')
topo('port-number-huge', 'number = 3002\nmode = "secured"', 'number = 99999999999999999999\nmode = "secured"', '', 'number = 9')
topo('port-number-string', 'number = 3002\nmode = "secured"', 'number = "3002"\nmode = "secured"', 'must be an integer', 'number = "3002"')
topo('port-no-number', 'number = 3002\nmode = "secured"\nha-sync = true\n\n[app.ts_primary.options', 'mode = "secured"\nha-sync = true\n\n[app.ts_primary.options', 'has no `number`', '[app.ts_primary.port.ha]')
topo('mode-bad', 'mode = "secured"', 'mode = "secure"', 'did you mean `secured`')
topo('transport-conflict', 'mode = "unsecured"', 'mode = "unsecured"\ntransport = "tls=1"', 'says secured but', 'transport =')
topo('ha-sync-maybe', 'ha-sync = true', 'ha-sync = "maybe"', 'true/false or 1/0')
topo('redundancy-bad', 'redundancy = "hot-standby"', 'redundancy = "cold-standby"', 'not a valid `redundancy`')
topo('type-bad', 'type = "client"', 'type = "cleint"', 'did you mean `client`')
topo('type-missing', 'type = "client"\n', '', 'has no `type`', '[app.desk]')
topo('host-missing', 'host = "desk-1"\n', '', 'has no `host`', '[app.desk]')
topo('unknown-top-key', 'name = "corpus"', 'name = "corpus"\nhosts = 1', 'unknown key `hosts`', 'hosts = 1')
topo('unknown-app-key', 'type = "client"', 'type = "client"\ntyp = "client"', 'unknown key `typ`', 'typ = ')
topo('host-address', 'name = "ts-b.lab.example"', 'name = "ts-b.lab.example"\naddress = "10.0.0.2"', 'unknown key `address`', 'address')
topo('security-unknown', 'security = { certificate = "ts-b", trusted-ca = "lab-ca" }', 'security = { certificate = "ts-b", trusted-ca = "lab-ca", tls-mutal = 1 }', 'tls-mutual', 'security = { certificate = "ts-b", trusted-ca = "lab-ca", tls')
topo('sec-protocol-bad', 'security = { certificate = "ts-b", trusted-ca = "lab-ca" }', 'security = { certificate = "ts-b", trusted-ca = "lab-ca", sec-protocol = "SSLv3" }', 'SSLv3', 'security = { certificate = "ts-b", trusted-ca = "lab-ca", sec')
topo('resolution-bad', 'name = "corpus"', 'name = "corpus"\nresolution = "groups"', 'did you mean `group`', 'resolution')
topo('key-type-bad', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nkey-type = "dsa"', 'not a valid `key-type`', 'key-type')
topo('profile-bad', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nprofile = "expird"', 'did you mean `expired`', 'profile')
topo('usage-bad', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nusage = ["sever"]', 'is not a usage', 'usage')
topo('issuer-dangling', 'issuer = "lab-ca"\nhosts = ["ts-a', 'issuer = "lab-cx"\nhosts = ["ts-a', 'not a CA in [pki.ca]', '[pki.cert.ts-a]')
topo('key-without-pem', 'hosts = ["ts-a.lab.example"]', 'hosts = ["ts-a.lab.example"]\nkey = "x.key"', 'without `pem`', 'key = ')
topo('connection-not-array', '[[connection]]\nfrom = "desk"\nto = "ts_primary"\nport = "default"\n', '[connection]\nfrom = "desk"\n', 'must be an array of tables', '[connection]')
topo('host-is-string', '[host.desk-1]\nname = "desk-1.lab.example"', '[host]\ndesk-1 = "desk-1.lab.example"', 'must be a table', 'desk-1 = ')
topo('toml-syntax', '[app.desk]', '[app.desk', '', '[app.desk')
topo('toml-duplicate-key', 'type = "client"', 'type = "client"\ntype = "client"', 'duplicate', 'type = "client"\ntype', plus=1)
topo('toml-duplicate-table', '[app.desk]', '[app.ts_backup]', '', '[app.ts_backup]\ntype = "client"')
topo('toml-unterminated-string', 'type = "client"', 'type = "client', '', 'type = "client\n')
topo('partition-not-here', 'name = "corpus"', 'name = "corpus"\n[[step]]\nat = "1s"', 'names no `topology`', '', exit=2)
# (made at test time) long_value = 'x' * (5 * 1024 * 1024)
# (made at test time) topo('value-5mb', 'type = "client"', f'type = "{long_value}"', 'more characters', 'type = "xx')

topo_text('empty', '', 'declares no host', None)
topo_text('only-name', 'name = "x"\n', 'declares no host', None)
topo_text('only-comment', '# nothing here\n', 'declares no host', None)
write('topology/binary.toml', b'name = "x"\n\x00\x01\x02\xff\xfe')
case('topology/binary.toml', ['check', 'topology/binary.toml'], 2, 'not UTF-8', 2)
write('topology/latin1.toml', 'name = "caf\xe9"\n'.encode('latin-1'))
case('topology/latin1.toml', ['check', 'topology/latin1.toml'], 2, 'not UTF-8', 1)
write('topology/utf16.toml', 'name = "x"\n'.encode('utf-16'))
case('topology/utf16.toml', ['check', 'topology/utf16.toml'], 2, 'not UTF-8', 1)
topo_text('deep-nesting', 'a = ' + '[' * 5000 + ']' * 5000 + '\n', '', None)
# (made at test time) topo_text('long-line', 'name = "x"\n' + 'a' * 200000 + ' = 1\n', 'unknown key', None)
# (made at test time) many = ''.join(f'[app.a{i}]\ntype = "tserver"\nhost = "nowhere{i}"\n\n' for i in range(20000))
# (made at test time) topo_text('many-bad-apps', many, 'more problem(s)', None)
# (made at test time) hosts = ''.join(f'[host.h{i}]\nname = "h{i}.example"\n' for i in range(5001))
# (made at test time) topo_text('too-many-hosts', hosts, "limit of 5000", '[host.h0]')

# --- PEM files ---
def pem_case(name, data, contains, key=None):
    write(f'pem/{name}.pem', data)
    extra = f'\nkey = "../pem/{key}"' if key else ''
    text = BASE.replace('subject = "CN=Lab CA,O=hapair lab"', f'pem = "../pem/{name}.pem"{extra}', 1)
    rel = f'topology/pem-{name}.toml'
    write(rel, text)
    case(rel, ['check', rel], 2, contains, line_of(text, '[pki.ca.lab-ca]'))

pem_case('empty', '', 'no certificate')
pem_case('garbage', 'this is not a certificate\n', 'no certificate')
pem_case('no-end', '-----BEGIN CERTIFICATE-----\nMIIB\n', 'no END line')
pem_case('bad-base64', '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n', 'not valid PEM')
pem_case('not-der', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'certificate')
pem_case('binary', bytes(range(256)), 'not PEM text')
pem_case('key-shaped', '-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n', 'no certificate')
pem_case('crlf-garbage', '-----BEGIN CERTIFICATE-----\r\nQUJD\r\n-----END CERTIFICATE-----\r\n', 'certificate')
write('pem/dir.pem/.keep', '')
text = BASE.replace('subject = "CN=Lab CA,O=hapair lab"', 'pem = "../pem/dir.pem"', 1)
write('topology/pem-directory.toml', text)
case('topology/pem-directory.toml', ['check', 'topology/pem-directory.toml'], 2, 'a folder', line_of(text, '[pki.ca.lab-ca]'))
text = BASE.replace('subject = "CN=Lab CA,O=hapair lab"', 'pem = "../pem/missing.pem"', 1)
write('topology/pem-missing.toml', text)
case('topology/pem-missing.toml', ['check', 'topology/pem-missing.toml'], 2, 'missing.pem', line_of(text, '[pki.ca.lab-ca]'))
text = BASE.replace('subject = "CN=Lab CA,O=hapair lab"', 'pem = "/dev/zero"', 1)
write('topology/pem-dev-zero.toml', text)
case('topology/pem-dev-zero.toml', ['check', 'topology/pem-dev-zero.toml'], 2, 'not a regular file', line_of(text, '[pki.ca.lab-ca]'))
# (made at test time) big = '-----BEGIN CERTIFICATE-----\n' + ('QUFB' * 16 + '\n') * 20000 + '-----END CERTIFICATE-----\n'
# (made at test time) pem_case('too-big', big, 'over hapair\'s limit')

# --- scenarios ---
scen('seed-negative', 'seed = 1', 'seed = -1', 'is negative')
scen('seed-huge', 'seed = 1', 'seed = 99999999999999999999', '', 'seed =')
scen('clock-9999', 'clock = 2026-06-01T08:00:00Z', 'clock = 9999-12-31T23:59:59Z', 'from year 1970 to 9899')
scen('clock-garbage', 'clock = 2026-06-01T08:00:00Z', 'clock = "tomorrow"', 'not an RFC 3339 instant')
scen('duration-huge', 'seed = 1', 'seed = 1\nduration = "999999999s"', 'limit of 366 days', 'duration =')
scen('duration-8d', 'seed = 1', 'seed = 1\nduration = "8d"', 'limit of 7 days', 'duration =')
scen('duration-too-short', 'seed = 1', 'seed = 1\nduration = "5s"', 'ends before the last step', 'duration =')
scen('step-at-huge', 'at = "20s"', 'at = "999999999s"', 'limit of 366 days')
scen('step-at-8d', 'at = "20s"', 'at = "8d"', 'limit of 7 days', '[[step]]\nat = "8d"')
scen('within-huge', 'within = "15s"', 'within = "999999999s"', 'limit of 366 days')
scen('after-time-8d', 'after = "crash"', 'after = "7d"', 'limit of 7 days', '[[expect]]')
scen('within-8d', 'within = "15s"', 'within = "8d"', 'limit of 7 days', '[[expect]]')
# The largest `after` and `within` each: their sum (732 days) is refused, not overflowed.
scen('after-within-366d', 'after = "crash"\nwithin = "15s"', 'after = "366d"\nwithin = "366d"', 'limit of 7 days', '[[expect]]')
scen('duplicate-label', 'label = "restart"', 'label = "crash"', 'two steps are labelled `crash`', '[[step]]\nat = "20s"')
scen('unknown-label', 'after = "crash"', 'after = "crsh"', 'did you mean `crash`')
scen('after-without-within', 'within = "15s"\n', '', 'needs a deadline', '[[expect]]')
scen('crash-unknown', 'crash = "ts_primary"', 'crash = "ts_primray"', 'did you mean `ts_primary`')
scen('crash-host', 'crash = "ts_primary"', 'crash = "ts-a"', '`ts-a` is a host, not an application')
scen('no-topology', 'topology = "../base/topology.toml"\n', '', 'names no `topology`', '')
scen('topology-missing', 'topology = "../base/topology.toml"', 'topology = "../base/nothing.toml"', 'nothing.toml', '')
scen('topology-folder', 'topology = "../base/topology.toml"', 'topology = "../base"', 'a folder', '')
scen('topology-number', 'topology = "../base/topology.toml"', 'topology = 5', 'must be a path or a table')
scen('topology-dev-zero', 'topology = "../base/topology.toml"', 'topology = "/dev/zero"', 'not a regular file', '')
scen('unknown-key', 'seed = 1', 'seed = 1\nsed = 2', 'unknown key `sed`')
scen('step-no-action', 'crash = "ts_primary"\n', '', 'says nothing to do', '[[step]]')
scen('step-two-actions', 'crash = "ts_primary"', 'crash = "ts_primary"\nrestart = "ts_primary"', 'several of', '[[step]]')
scen('step-no-at', 'at = "10s"\n', '', 'has no `at`', '[[step]]')
scen('expect-two-checks', 'role = { app = "ts_backup", is = "primary" }', 'role = { app = "ts_backup", is = "primary" }\ntwo-primaries = true', 'several of', '[[expect]]')
scen('step-is-table', '[[step]]\nat = "10s"', '[step]\nat = "10s"', 'duplicate key', '[[step]]\nat = "20s"')
add_step('traffic-tiny', 'at = "1s"\ntraffic = { from = "desk", rate = "1e-20/s" }', 'from 0.001 to 10000')
add_step('traffic-negative', 'at = "1s"\ntraffic = { from = "desk", rate = "-5/s" }', 'requests per second')
add_step('traffic-nan', 'at = "1s"\ntraffic = { from = "desk", rate = "NaN/s" }', 'requests per second')
add_step('traffic-server', 'at = "1s"\ntraffic = { from = "ts_primary", rate = "5/s" }', 'is a server')
add_step('skew-huge', 'at = "1s"\nskew = { host = "ts-a", by = "-999999999s" }', 'at most 366 days')
add_step('skew-100y', 'at = "1s"\nskew = { host = "ts-a", by = "+36500d" }', 'at most 366 days')
add_step('skew-garbage', 'at = "1s"\nskew = { host = "ts-a", by = "soon" }', 'unknown unit')
add_step('skew-app', 'at = "1s"\nskew = { host = "ts_primary", by = "1h" }', '`ts_primary` is an application, not a host')
add_step('partition-same', 'at = "1s"\npartition = ["ts-a", "ts-a"]', 'names `ts-a` twice')
add_step('partition-one', 'at = "1s"\npartition = ["ts-a"]', 'takes two hosts')
add_step('partition-apps', 'at = "1s"\npartition = ["ts_primary", "ts_backup"]', '`ts_primary` is an application, not a host')
add_step('loss-rate-2', 'at = "1s"\nloss = { between = ["ts-a", "ts-b"], rate = 2.0 }', 'from 0.0 to 1.0', 'loss =')
add_step('latency-negative', 'at = "1s"\nlatency = { between = ["ts-a", "ts-b"], delay = "-1s" }', 'negative', 'latency =')
add_step('latency-huge', 'at = "1s"\nlatency = { between = ["ts-a", "ts-b"], delay = "999999999s" }', 'limit of 366 days', 'latency =')
add_step('option-protocol', 'at = "1s"\noption = { app = "ts_backup", section = "backup-sync", key = "protocol", value = "adpp" }', 'did you mean `addp`')
add_step('option-section-typo', 'at = "1s"\noption = { app = "ts_backup", section = "backup-snyc", key = "addp-timeout", value = 4 }', 'did you mean `backup-sync`')
add_step('option-key-typo', 'at = "1s"\noption = { app = "ts_backup", section = "backup-sync", key = "addp-timout", value = 4 }', 'did you mean `addp-timeout`')
add_step('option-addp-max', 'at = "1s"\noption = { app = "ts_backup", section = "backup-sync", key = "addp-timeout", value = "18446744073709551615" }', 'a whole number of seconds')
add_step('option-addp-negative', 'at = "1s"\noption = { app = "ts_backup", section = "backup-sync", key = "addp-timeout", value = -10 }', 'a whole number of seconds')
add_step('option-empty-key', 'at = "1s"\noption = { app = "ts_backup", section = "backup-sync", key = "", value = 4 }', 'cannot be empty')
add_step('switchover-not-pair', 'at = "1s"\nswitchover = "desk"', 'not a member of a primary/backup pair')
add_step('rotate-unknown', 'at = "1s"\nrotate = { cert = "ts-c" }', 'no certificate `ts-c`')
add_step('trust-unknown-ca', 'at = "1s"\ntrust = { app = "ts_primary", trusted-ca = ["lab-cx"] }', 'lab-cx')
add_step('idb-refuse-unknown', 'at = "1s"\nidb-refuse = "idb_x"', 'the topology has no database `idb_x`')
add_step('dap-database-not-dap', 'at = "1s"\ndap-database = { dap = "ts_primary", database = "idb_x" }', '`ts_primary` is not a DAP')
add_step('power-off-app', 'at = "1s"\npower-off = "ts_primary"', '`ts_primary` is an application, not a host')
write('scenario/binary.toml', b'topology = "x"\n\xff\xfe\x00')
case('scenario/binary.toml', ['run', 'scenario/binary.toml'], 2, 'not UTF-8', 2)
scen('syntax', '[[expect]]', '[[expect]', '', '[[expect]')
scen('invariant-bad', 'seed = 1', 'seed = 1\n\n[invariants]\nha-resyncs-per-minute = 99999', 'whole number from 0', 'ha-resyncs')
scen('inline-topology-wrong-kind', 'topology = "../base/topology.toml"', 'topology = { host = { a = { name = "a.example" } }, app = { x = { type = "client", host = "x" } } }', '`x` is an application, not a host', 'topology =')

# --- command lines (no file of their own; the location is the flag or path) ---
def flags(args, exit, contains):
    cases.append({'name': ' '.join(args), 'args': args, 'exit': exit, 'contains': contains})

flags(['run', '--seeds', '0', 'scenario/ok.toml'], 2, '--seeds')
flags(['run', '--seeds', '1000000000', 'scenario/ok.toml'], 2, '--seeds')
flags(['run', '--seeds=-3', 'scenario/ok.toml'], 2, '--seeds')
flags(['run', '--jobs', '0', 'scenario/ok.toml'], 2, '--jobs')
flags(['run', '--jobs', 'many', 'scenario/ok.toml'], 2, '--jobs')
flags(['run', '--seed=-1', 'scenario/ok.toml'], 2, '--seed')
flags(['run', '--seed', '1', '--seeds', '2', 'scenario/ok.toml'], 2, 'cannot be used with')
flags(['run', '--out', 'base/topology.toml', 'scenario/ok.toml'], 2, '--out base/topology.toml')
flags(['run', '--out', '/dev/null', 'scenario/ok.toml'], 2, '--out /dev/null')
flags(['run', '--out', '/proc/hapair-out', 'scenario/ok.toml'], 2, '--out /proc/hapair-out')
flags(['run', 'scenario/nothing-here.toml'], 2, 'scenario/nothing-here.toml')
flags(['run', '--format', 'xml', 'scenario/ok.toml'], 2, '--format')
flags(['run', '--filter', 'no-such-scenario', 'scenario/ok.toml'], 2, 'no scenario files')
flags(['check'], 2, 'FILES')
flags(['check', '--clock', 'yesterday', 'base/topology.toml'], 2, '--clock')
flags(['check', '--clock', '9999-12-31T00:00:00Z', 'base/topology.toml'], 2, '--clock')
flags(['check', '--clock', '1900-01-01T00:00:00Z', 'base/topology.toml'], 2, '--clock')
flags(['check', '--deny', 'errors', 'base/topology.toml'], 2, '--deny')
flags(['check', '--format', 'yaml', 'base/topology.toml'], 2, '--format')
flags(['check', '/dev/zero'], 2, '/dev/zero')
flags(['check', '/dev/null'], 2, '/dev/null')
flags(['check', 'base'], 2, 'base: it is a folder')
flags(['check', 'nothing.toml'], 2, 'nothing.toml')
flags(['certs', 'gen', '--clock', 'noon', 'base/topology.toml'], 2, '--clock')
flags(['certs', 'show', 'nothing.toml'], 2, 'nothing.toml')
flags(['certs', 'show', 'topology/host-names-app.toml'], 2, 'topology/host-names-app.toml:')
flags(['explain', 'NO-SUCH-RULE'], 2, 'NO-SUCH-RULE')
flags(['rules', '--format', 'xml'], 2, '--format')
flags(['frobnicate'], 2, 'frobnicate')
flags(['--verbose=yes', 'rules'], 2, 'verbose')

with open(os.path.join(HERE, 'cases.toml'), 'w') as f:
    f.write('# Generated by generate.py: one malformed input (or command line) per case.\n')
    f.write('# args run with tests/corpus as the working directory; `exit` is the expected exit\n')
    f.write('# code, `contains` a substring of stdout+stderr, `at` the location it must name.\n\n')
    for c in cases:
        f.write('[[case]]\n')
        f.write(f'name = {json.dumps(c["name"])}\n')
        f.write(f'args = {json.dumps(c["args"])}\n')
        f.write(f'exit = {c["exit"]}\n')
        f.write(f'contains = {json.dumps(c["contains"])}\n')
        if 'at' in c:
            f.write(f'at = {json.dumps(c["at"])}\n')
        f.write('\n')
print(len(cases), 'cases')
