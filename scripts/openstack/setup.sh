#!/usr/bin/env bash
# Brings up a real OpenStack Keystone v3 (SQLite in WAL mode) and a single-node Swift whose proxy
# authenticates through Keystone (keystonemiddleware authtoken + keystoneauth), on loopback only.
# Used by the live tests of the openstack driver (test/drivers/openstack/live.test.ts).
#
#   bash scripts/openstack/setup.sh            # install packages if missing, start everything (idempotent)
#   bash scripts/openstack/setup.sh --no-install
#   bash scripts/openstack/teardown.sh [--purge]
#
# Keystone:  http://127.0.0.1:$OS_KEYSTONE_PORT/v3  (admin / secret, project admin, domain Default)
#            demo / demopass in project demo (role member); alice / alicepass in project alpha of domain dctest
# Swift:     http://127.0.0.1:$OS_SWIFT_PORT/v1/AUTH_<project id>  (from Keystone's catalogue, type object-store)
# Every PID started is recorded under $OS_TEST_DIR/run; teardown.sh stops only those.
#
# Env: OS_TEST_DIR (/tmp/deltacloud-openstack), OS_KEYSTONE_PORT (5001), OS_SWIFT_PORT (8081),
#      OS_SWIFT_STORAGE_PORT_BASE (6210: object, +1 container, +2 account), OS_MEMCACHED_PORT (11212),
#      OS_ADMIN_PASSWORD (secret), OS_SWIFT_TOKEN_CACHE_SECONDS (3: how long Swift trusts a validated token)
set -euo pipefail

D=${OS_TEST_DIR:-/tmp/deltacloud-openstack}
KPORT=${OS_KEYSTONE_PORT:-5001}
SPORT=${OS_SWIFT_PORT:-8081}
BASE=${OS_SWIFT_STORAGE_PORT_BASE:-6210}
MC=${OS_MEMCACHED_PORT:-11212}
ADMIN_PW=${OS_ADMIN_PASSWORD:-secret}
TOKEN_CACHE=${OS_SWIFT_TOKEN_CACHE_SECONDS:-3}
PY=/usr/bin/python3
KURL=http://127.0.0.1:$KPORT/v3
INSTALL=1
[[ ${1:-} == --no-install ]] && INSTALL=0

RUN=$D/run LOGS=$D/log LOG_TAG=openstack-setup
# shellcheck source-path=SCRIPTDIR source=../lib/swift.sh
. "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../lib/swift.sh"

need_packages "$INSTALL" python3-keystone python3-keystonemiddleware swift swift-proxy swift-account swift-container swift-object memcached curl
mkdir -p "$RUN" "$LOGS" "$D/swift/srv/node/sdb1"
swift_hash_conf

# --- memcached (Swift's cache and keystonemiddleware) -------------------------------------------
start_memcached "$MC"

# --- Keystone -----------------------------------------------------------------------------------
K=$D/keystone
mkdir -p "$K"
if [[ ! -f $K/keystone.db ]]; then
  log "initialising keystone"
  cat > "$K/keystone.conf" <<CONF
[DEFAULT]
use_stderr = true
[database]
connection = sqlite:///$K/keystone.db
[identity]
# A test Keystone: cheap bcrypt, so that each login takes milliseconds, not most of a second.
password_hash_rounds = 4
[token]
provider = fernet
expiration = 3600
[fernet_tokens]
key_repository = $K/fernet-keys
[fernet_receipts]
key_repository = $K/fernet-receipts
[credential]
key_repository = $K/credential-keys
CONF
  KM=(keystone-manage --config-file "$K/keystone.conf")
  "${KM[@]}" db_sync 2>>"$D/log/keystone-setup.log"
  # Without WAL a read transaction left open by one request makes the next write fail ("database is locked").
  $PY -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print('journal_mode', c.execute('PRAGMA journal_mode=WAL').fetchone()[0])" "$K/keystone.db" >/dev/null
  {
    "${KM[@]}" fernet_setup --keystone-user root --keystone-group root
    "${KM[@]}" credential_setup --keystone-user root --keystone-group root
    "${KM[@]}" bootstrap --bootstrap-password "$ADMIN_PW" --bootstrap-region-id RegionOne \
      --bootstrap-admin-url "$KURL" --bootstrap-internal-url "$KURL" --bootstrap-public-url "$KURL"
  } 2>>"$D/log/keystone-setup.log"
  $PY -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('PRAGMA journal_mode=WAL')" "$K/keystone.db"
fi
start keystone "--port $KPORT" env OS_KEYSTONE_CONFIG_FILES="$K/keystone.conf" /usr/bin/keystone-wsgi-public --host 127.0.0.1 --port "$KPORT"
wait_http "$KURL" 60
log "keystone up at $KURL"

# --- Keystone resources (idempotent, over the REST API) ------------------------------------------
$PY - "$KURL" "$ADMIN_PW" "$SPORT" <<'PYEOF'
import json, sys, urllib.request, urllib.error
kurl, admin_pw, sport = sys.argv[1], sys.argv[2], sys.argv[3]

def call(method, path, body=None, token=None):
    req = urllib.request.Request(kurl + path, method=method, data=None if body is None else json.dumps(body).encode())
    req.add_header('Content-Type', 'application/json')
    if token: req.add_header('X-Auth-Token', token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            data = r.read()
            return r.status, (json.loads(data) if data else None), r.headers
    except urllib.error.HTTPError as e:
        return e.code, None, e.headers

auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'admin', 'domain': {'id': 'default'}, 'password': admin_pw}}},
                 'scope': {'project': {'name': 'admin', 'domain': {'id': 'default'}}}}}
st, _, h = call('POST', '/auth/tokens', auth)
assert st == 201, f'admin authentication failed: {st}'
tok = h['X-Subject-Token']

def find(coll, key, **q):
    qs = '&'.join(f'{k}={v}' for k, v in q.items())
    st, body, _ = call('GET', f'/{coll}?{qs}', token=tok)
    assert st == 200, (coll, st)
    items = body[coll]
    return items[0] if items else None

def ensure(coll, singular, attrs, **q):
    found = find(coll, singular, **q)
    if found: return found
    st, body, _ = call('POST', f'/{coll}', {singular: attrs}, tok)
    assert st == 201, (coll, attrs.get('name'), st)
    return body[singular]

def grant(project_id, user_id, role_id):
    st, _, _ = call('PUT', f'/projects/{project_id}/users/{user_id}/roles/{role_id}', token=tok)
    assert st in (200, 204), ('grant', st)

roles = {r['name']: r['id'] for r in call('GET', '/roles', token=tok)[1]['roles']}
member = roles.get('member') or ensure('roles', 'role', {'name': 'member'}, name='member')['id']
admin_role = roles['admin']

service_project = ensure('projects', 'project', {'name': 'service', 'domain_id': 'default'}, name='service', domain_id='default')
swift_user = ensure('users', 'user', {'name': 'swift', 'domain_id': 'default', 'password': 'swiftpw'}, name='swift', domain_id='default')
grant(service_project['id'], swift_user['id'], admin_role)

demo_project = ensure('projects', 'project', {'name': 'demo', 'domain_id': 'default'}, name='demo', domain_id='default')
demo_user = ensure('users', 'user', {'name': 'demo', 'domain_id': 'default', 'password': 'demopass'}, name='demo', domain_id='default')
grant(demo_project['id'], demo_user['id'], member)

domain = ensure('domains', 'domain', {'name': 'dctest'}, name='dctest')
alpha = ensure('projects', 'project', {'name': 'alpha', 'domain_id': domain['id']}, name='alpha', domain_id=domain['id'])
alice = ensure('users', 'user', {'name': 'alice', 'domain_id': domain['id'], 'password': 'alicepass'}, name='alice', domain_id=domain['id'])
grant(alpha['id'], alice['id'], member)

service = ensure('services', 'service', {'name': 'swift', 'type': 'object-store', 'enabled': True}, type='object-store')
url = f'http://127.0.0.1:{sport}/v1/AUTH_%(project_id)s'
st, body, _ = call('GET', f"/endpoints?service_id={service['id']}", token=tok)
have = {e['interface'] for e in body['endpoints']}
for iface in ('public', 'internal', 'admin'):
    if iface not in have:
        st, _, _ = call('POST', '/endpoints', {'endpoint': {'service_id': service['id'], 'interface': iface, 'url': url, 'region_id': 'RegionOne'}}, tok)
        assert st == 201, ('endpoint', iface, st)
PYEOF
log "keystone projects, users and the object-store endpoint are in place"

# --- Swift: rings, storage servers, proxy with Keystone auth -------------------------------------
S=$D/swift
if [[ ! -f $S/object.ring.gz ]]; then
  log "building swift rings"
  swift_build_rings "$S" "$BASE"
fi
swift_storage_confs "$S" "$BASE" swift-
{
  swift_proxy_conf "$S" "$SPORT" "$MC" "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk authtoken keystoneauth copy slo dlo proxy-logging proxy-server"
  cat <<CONF
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
www_authenticate_uri = $KURL
auth_url = $KURL
auth_type = password
project_domain_id = default
user_domain_id = default
project_name = service
username = swift
password = swiftpw
memcached_servers = 127.0.0.1:$MC
delay_auth_decision = True
include_service_catalog = False
# Validated tokens are trusted this long (keeps Swift quick); a revoked token is refused after that.
token_cache_time = $TOKEN_CACHE
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
CONF
} > "$S/proxy-server.conf.new"
install_conf swift-proxy "$S/proxy-server.conf"
swift_start "$S" swift-
swift_wait_healthy 60 "$BASE" "$SPORT"
log "swift up at http://127.0.0.1:$SPORT"

# --- end to end: token -> catalogue -> Swift account ------------------------------------------------
$PY - "$KURL" <<'PYEOF'
import json, sys, urllib.request
kurl = sys.argv[1]
auth = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'demo', 'domain': {'id': 'default'}, 'password': 'demopass'}}},
                 'scope': {'project': {'name': 'demo', 'domain': {'id': 'default'}}}}}
req = urllib.request.Request(kurl + '/auth/tokens', data=json.dumps(auth).encode(), headers={'Content-Type': 'application/json'}, method='POST')
with urllib.request.urlopen(req, timeout=30) as r:
    tok = r.headers['X-Subject-Token']; cat = json.loads(r.read())['token']['catalog']
url = [e['url'] for s in cat if s['type'] == 'object-store' for e in s['endpoints'] if e['interface'] == 'public'][0]
with urllib.request.urlopen(urllib.request.Request(url + '?format=json', headers={'X-Auth-Token': tok}), timeout=30) as r:
    assert r.status in (200, 204), r.status
PYEOF
log "ready: keystone $KURL, swift behind keystone on port $SPORT (state in $D)"
