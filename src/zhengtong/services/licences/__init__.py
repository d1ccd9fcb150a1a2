"""电子证照、电子印章: e-licences issued on approval and sealed with the issuing department's SM2
e-seal, recorded in the ledger, verified by anyone, shown from the holder's wallet; the
departments' e-seals with their custody, use and revocation."""
