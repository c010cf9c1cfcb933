"""Offer readers, one per distributor kind: each turns a file into Offers and problems.

A new distributor adds its reader module and one line below.
"""

from boite.lending.offers import odl_feed, onix_pnb
from boite.lending.offers.base import Offer, OfferFileError, OfferProblem

READERS = {
    "dilicom": onix_pnb.read_offers,
    "odl": odl_feed.read_file,
}

__all__ = ["READERS", "Offer", "OfferFileError", "OfferProblem"]
