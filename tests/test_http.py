"""HTTP at its edges: how long a URL and how big a body each route takes, refused before
anything is read; gunicorn's own refusals; 405's Allow; caching of personal files."""

import hashlib

from tests.test_field_records import PNG


def test_a_photo_is_cached_privately_never_by_a_shared_cache(client, as_user):
    sha = hashlib.sha256(PNG).hexdigest()
    officer = as_user("officer1")
    assert client.put(f"/blobs/{sha}", data=PNG, headers=officer).status_code == 200
    with client.get(f"/blobs/{sha}", headers=officer) as response:
        assert response.status_code == 200
        cache = response.cache_control
    assert cache.private and not cache.public and cache.max_age == 86400
