# Registrants, approval and the mail ledger arrive with the registration issue.
