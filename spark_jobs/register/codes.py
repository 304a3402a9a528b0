"""The integral patient register's CSV contract (FEEDS.md): header and enumerations."""

HEADER = (
    "event_id,event_time,op,patient_id,policy_number,last_name,first_name,middle_name,"
    "birth_date,sex,okrug,address,phone,covid_status,contact_status,immune_status,status_since"
)
COLUMNS = tuple(HEADER.split(","))
OKRUGS = (
    "CAO",
    "SAO",
    "SVAO",
    "VAO",
    "YUVAO",
    "YUAO",
    "YUZAO",
    "ZAO",
    "SZAO",
    "ZELAO",
    "NAO",
    "TAO",
)
OPS = ("upsert", "delete")
ENUMERATIONS = {
    "sex": ("male", "female", "unknown"),
    "okrug": OKRUGS,
    "covid_status": ("none", "suspected", "confirmed", "recovered", "deceased"),
    "contact_status": ("none", "contact", "quarantine_ended"),
    "immune_status": ("none", "vaccinated", "recovered", "antibodies"),
}
# Direct identifiers: they stay in bronze (and quarantine) and never reach silver.
DIRECT_IDENTIFIERS = (
    "policy_number",
    "last_name",
    "first_name",
    "middle_name",
    "address",
    "phone",
    "birth_date",
)
