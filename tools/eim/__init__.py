"""The project's test eIM (SGP.32 v1.0 eUICC IoT Manager): ESipa over HTTP(S) with the ASN.1
binding, a queue of eUICC Packages and Profile Download Triggers per EID, the results kept."""
