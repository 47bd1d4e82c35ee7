"""Distances between places, for proposing the nearest district to a shared location."""

from __future__ import annotations

import math

from town.deployment import District, Municipality

EARTH_RADIUS_KM = 6371.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi, d_lambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(1.0, a)))


def nearest_district(
    municipality: Municipality, latitude: float, longitude: float, *, within_km: float = 15.0
) -> District | None:
    """The district whose centre is closest, or None if the place is far outside the municipality."""
    best = min(
        municipality.districts,
        key=lambda d: distance_km(latitude, longitude, d.latitude, d.longitude),
    )
    if distance_km(latitude, longitude, best.latitude, best.longitude) > within_km:
        return None
    return best
