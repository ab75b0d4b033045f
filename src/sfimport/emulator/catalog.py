"""The demo org's catalogue: every sObject it knows, with fields, flags and query behaviour."""

from __future__ import annotations

from sfimport.emulator.schema import (
    SETUP_OBJECT_FLAGS,
    FieldSpec,
    ObjectSpec,
    flags,
)

F = FieldSpec


def _id(label: str) -> FieldSpec:
    return F("Id", "id", label, nillable=False)


def _audit() -> tuple[FieldSpec, ...]:
    return (
        F("IsDeleted", "boolean", "Deleted", nillable=False),
        F("CreatedDate", "datetime", "Created Date", nillable=False),
        F(
            "CreatedById",
            "reference",
            "Created By ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="CreatedBy",
        ),
        F("LastModifiedDate", "datetime", "Last Modified Date", nillable=False),
        F(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
        ),
        F("SystemModstamp", "datetime", "System Modstamp", nillable=False),
    )


def _owner(queues: bool = False) -> FieldSpec:
    """OwnerId: a User, or on objects that queues can own, a User or a Queue (a Group)."""
    return F(
        "OwnerId",
        "reference",
        "Owner ID",
        nillable=False,
        reference_to=("Group", "User") if queues else ("User",),
        relationship_name="Owner",
    )


def _address(prefix: str, label: str) -> tuple[FieldSpec, ...]:
    compound = f"{prefix}Address"
    return (
        F(
            f"{prefix}Street",
            "textarea",
            f"{label} Street",
            extra_type_info="plaintextarea",
            compound_field_name=compound,
            generator="street",
        ),
        F(
            f"{prefix}City",
            "string",
            f"{label} City",
            length=40,
            compound_field_name=compound,
            generator="city",
        ),
        F(
            f"{prefix}State",
            "string",
            f"{label} State/Province",
            length=80,
            compound_field_name=compound,
            generator="state",
        ),
        F(
            f"{prefix}PostalCode",
            "string",
            f"{label} Zip/Postal Code",
            length=20,
            compound_field_name=compound,
            generator="postal",
        ),
        F(
            f"{prefix}Country",
            "string",
            f"{label} Country",
            length=80,
            compound_field_name=compound,
            generator="country",
        ),
        F(
            f"{prefix}Latitude",
            "double",
            f"{label} Latitude",
            precision=18,
            scale=15,
            compound_field_name=compound,
            generator="latitude",
        ),
        F(
            f"{prefix}Longitude",
            "double",
            f"{label} Longitude",
            precision=18,
            scale=15,
            compound_field_name=compound,
            generator="longitude",
        ),
        F(
            f"{prefix}GeocodeAccuracy",
            "picklist",
            f"{label} Geocode Accuracy",
            length=40,
            compound_field_name=compound,
            picklist=("Address", "NearAddress", "Block", "Street", "ExtendedZip", "Zip", "City"),
        ),
        F(compound, "address", f"{label} Address" if label else "Address"),
    )


def _name_fields() -> tuple[FieldSpec, ...]:
    return (
        F(
            "LastName",
            "string",
            "Last Name",
            length=80,
            nillable=False,
            compound_field_name="Name",
            generator="last_name",
        ),
        F(
            "FirstName",
            "string",
            "First Name",
            length=40,
            compound_field_name="Name",
            generator="first_name",
            null_fraction=0.0,
        ),
        F(
            "Salutation",
            "picklist",
            "Salutation",
            length=40,
            compound_field_name="Name",
            picklist=("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
        ),
        F(
            "Name",
            "string",
            "Full Name",
            length=121,
            read_only=True,
            name_field=True,
            generator="full_name",
        ),
    )


INDUSTRIES = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Finance",
    "Healthcare",
    "Insurance",
    "Manufacturing",
    "Media",
    "Retail",
    "Technology",
    "Transportation",
)
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
)

ACCOUNT = ObjectSpec(
    "Account",
    "Account",
    "Accounts",
    "001",
    (
        _id("Account ID"),
        F(
            "Name",
            "string",
            "Account Name",
            nillable=False,
            name_field=True,
            generator="company",
            extra_type_info="switchablepersonname",
        ),
        F(
            "Type",
            "picklist",
            "Account Type",
            length=40,
            picklist=(
                "Prospect",
                "Customer - Direct",
                "Customer - Channel",
                "Channel Partner / Reseller",
                "Installation Partner",
                "Technology Partner",
                "Other",
            ),
        ),
        F(
            "ParentId",
            "reference",
            "Parent Account ID",
            reference_to=("Account",),
            relationship_name="Parent",
            child_relationship="ChildAccounts",
            null_fraction=0.85,
        ),
        *_address("Billing", "Billing"),
        *_address("Shipping", "Shipping"),
        F("Phone", "phone", "Account Phone", generator="phone"),
        F("Fax", "phone", "Account Fax", generator="phone", null_fraction=0.6),
        F("AccountNumber", "string", "Account Number", length=40, generator="code"),
        F("Website", "url", "Website", generator="website"),
        F("Industry", "picklist", "Industry", length=40, picklist=INDUSTRIES),
        F("AnnualRevenue", "currency", "Annual Revenue", precision=18, generator="revenue"),
        F("NumberOfEmployees", "int", "Employees", digits=8, generator="employees"),
        F(
            "Ownership",
            "picklist",
            "Ownership",
            length=40,
            picklist=("Public", "Private", "Subsidiary", "Other"),
        ),
        F(
            "TickerSymbol",
            "string",
            "Ticker Symbol",
            length=20,
            generator="ticker",
            null_fraction=0.7,
        ),
        F("Description", "textarea", "Account Description", length=32000, generator="paragraph"),
        F("Rating", "picklist", "Account Rating", length=40, picklist=("Hot", "Warm", "Cold")),
        F("AccountSource", "picklist", "Account Source", length=40, picklist=LEAD_SOURCES),
        F(
            "CleanStatus",
            "picklist",
            "Clean Status",
            length=40,
            picklist=(
                "Matched",
                "Different",
                "Acknowledged",
                "NotFound",
                "Inactive",
                "Pending",
                "SelectMatch",
                "Skipped",
            ),
            null_fraction=0.0,
        ),
        F("DunsNumber", "string", "D-U-N-S Number", length=9, null_fraction=0.9),
        F("Jigsaw", "string", "Data.com Key", length=20, null_fraction=0.9),
        F("NaicsCode", "string", "NAICS Code", length=8, null_fraction=0.9),
        F("NaicsDesc", "string", "NAICS Description", length=120, null_fraction=0.9),
        F(
            "RecordTypeId",
            "reference",
            "Record Type ID",
            reference_to=("RecordType",),
            relationship_name="RecordType",
        ),
        F("Sic", "string", "SIC Code", length=20, null_fraction=0.8),
        F("SicDesc", "string", "SIC Description", length=80, null_fraction=0.8),
        F("Site", "string", "Account Site", length=80, null_fraction=0.8),
        F("Tradestyle", "string", "Tradestyle", length=255, null_fraction=0.9),
        F("YearStarted", "string", "Year Started", length=4, generator="year", null_fraction=0.5),
        _owner(),
        *_audit(),
        F("LastActivityDate", "date", "Last Activity", read_only=True),
        F(
            "Customer_Priority__c",
            "picklist",
            "Customer Priority",
            picklist=("High", "Medium", "Low"),
        ),
        F("SLA_Expiration_Date__c", "date", "SLA Expiration Date", generator="future_date"),
        F(
            "Revenue_Per_Employee__c",
            "currency",
            "Revenue per Employee",
            precision=18,
            scale=2,
            formula="AnnualRevenue / NumberOfEmployees",
        ),
        # A roll-up summary: it changes when an opportunity does, the Account's SystemModstamp
        # does not (see sfimport.emulator.formulas).
        F(
            "Total_Opportunity_Amount__c",
            "currency",
            "Total Opportunity Amount",
            precision=18,
            scale=2,
            rollup="SUM(Opportunity.Amount)",
        ),
        # Person Accounts are enabled: a person account holds a consumer's name and contact
        # details on the Account itself (business accounts leave these fields empty).
        F("IsPersonAccount", "boolean", "Is Person Account", nillable=False, read_only=True),
        F(
            "FirstName",
            "string",
            "First Name",
            length=40,
            generator="first_name",
            null_fraction=0.0,
        ),
        F("LastName", "string", "Last Name", length=80, generator="last_name", null_fraction=0.0),
        F(
            "Salutation",
            "picklist",
            "Salutation",
            length=40,
            picklist=("Mr.", "Ms.", "Mrs.", "Dr.", "Prof."),
        ),
        F("PersonEmail", "email", "Email", generator="email"),
        F("PersonMobilePhone", "phone", "Mobile", generator="phone"),
        F("PersonBirthdate", "date", "Birthdate", generator="birthdate"),
    ),
    flags(mergeable=True),
)

CONTACT = ObjectSpec(
    "Contact",
    "Contact",
    "Contacts",
    "003",
    (
        _id("Contact ID"),
        F(
            "AccountId",
            "reference",
            "Account ID",
            reference_to=("Account",),
            relationship_name="Account",
            child_relationship="Contacts",
            null_fraction=0.05,
        ),
        *_name_fields(),
        *_address("Mailing", "Mailing"),
        F("Phone", "phone", "Business Phone", generator="phone"),
        F("MobilePhone", "phone", "Mobile Phone", generator="phone", null_fraction=0.4),
        F("Email", "email", "Email", generator="email"),
        F("Title", "string", "Title", length=128, generator="title"),
        F("Department", "string", "Department", length=80, generator="department"),
        F("Birthdate", "date", "Birthdate", generator="birthdate", null_fraction=0.3),
        F("LeadSource", "picklist", "Lead Source", length=40, picklist=LEAD_SOURCES),
        F(
            "Description",
            "textarea",
            "Contact Description",
            length=32000,
            generator="paragraph",
            null_fraction=0.5,
        ),
        F("HasOptedOutOfEmail", "boolean", "Email Opt Out"),
        F("DoNotCall", "boolean", "Do Not Call"),
        _owner(),
        *_audit(),
        F("LastActivityDate", "date", "Last Activity", read_only=True),
    ),
    flags(mergeable=True),
)

LEAD = ObjectSpec(
    "Lead",
    "Lead",
    "Leads",
    "00Q",
    (
        _id("Lead ID"),
        *_name_fields(),
        F("Title", "string", "Title", length=128, generator="title"),
        F("Company", "string", "Company", nillable=False, generator="company"),
        *_address("", ""),
        F("Phone", "phone", "Phone", generator="phone"),
        F("Email", "email", "Email", generator="email"),
        F("Website", "url", "Website", generator="website"),
        F("LeadSource", "picklist", "Lead Source", length=40, picklist=LEAD_SOURCES),
        F(
            "Status",
            "picklist",
            "Status",
            length=40,
            nillable=False,
            picklist=(
                "Open - Not Contacted",
                "Working - Contacted",
                "Closed - Converted",
                "Closed - Not Converted",
            ),
        ),
        F("Industry", "picklist", "Industry", length=40, picklist=INDUSTRIES),
        F("Rating", "picklist", "Rating", length=40, picklist=("Hot", "Warm", "Cold")),
        F("AnnualRevenue", "currency", "Annual Revenue", precision=18, generator="revenue"),
        F("NumberOfEmployees", "int", "Employees", digits=8, generator="employees"),
        F("IsConverted", "boolean", "Converted"),
        F("ConvertedDate", "date", "Converted Date", read_only=True, null_fraction=0.8),
        _owner(queues=True),
        *_audit(),
    ),
    flags(mergeable=True),
)

OPPORTUNITY = ObjectSpec(
    "Opportunity",
    "Opportunity",
    "Opportunities",
    "006",
    (
        _id("Opportunity ID"),
        F(
            "AccountId",
            "reference",
            "Account ID",
            reference_to=("Account",),
            relationship_name="Account",
            child_relationship="Opportunities",
            null_fraction=0.02,
        ),
        F("Name", "string", "Name", length=120, nillable=False, name_field=True, generator="deal"),
        F(
            "Description",
            "textarea",
            "Description",
            length=32000,
            generator="paragraph",
            null_fraction=0.5,
        ),
        F("StageName", "picklist", "Stage", length=255, nillable=False, picklist=STAGES),
        F("Amount", "currency", "Amount", precision=18, scale=2, generator="amount"),
        F("Probability", "percent", "Probability (%)", precision=3, generator="probability"),
        F(
            "ExpectedRevenue",
            "currency",
            "Expected Amount",
            precision=18,
            scale=2,
            formula="Amount * Probability / 100",
        ),
        # A cross-object formula: the account's industry, changing with the account.
        F(
            "Account_Industry__c",
            "string",
            "Account Industry",
            length=1300,
            formula="Account.Industry",
        ),
        F("CloseDate", "date", "Close Date", nillable=False, generator="close_date"),
        F(
            "Type",
            "picklist",
            "Opportunity Type",
            length=40,
            picklist=(
                "Existing Customer - Upgrade",
                "Existing Customer - Replacement",
                "Existing Customer - Downgrade",
                "New Customer",
            ),
        ),
        F("NextStep", "string", "Next Step", generator="sentence"),
        F("LeadSource", "picklist", "Lead Source", length=40, picklist=LEAD_SOURCES),
        F("IsClosed", "boolean", "Closed", read_only=True),
        F("IsWon", "boolean", "Won", read_only=True),
        F(
            "ForecastCategoryName",
            "picklist",
            "Forecast Category",
            length=40,
            picklist=("Omitted", "Pipeline", "Best Case", "Commit", "Closed"),
        ),
        F(
            "CampaignId",
            "reference",
            "Campaign ID",
            reference_to=("Campaign",),
            relationship_name="Campaign",
            child_relationship="Opportunities",
            null_fraction=0.7,
        ),
        F(
            "Pricebook2Id",
            "reference",
            "Price Book ID",
            reference_to=("Pricebook2",),
            relationship_name="Pricebook2",
            child_relationship="Opportunities",
        ),
        _owner(),
        *_audit(),
    ),
    flags(),
)

OPPORTUNITY_LINE_ITEM = ObjectSpec(
    "OpportunityLineItem",
    "Opportunity Product",
    "Opportunity Product",
    "00k",
    (
        _id("Line Item ID"),
        F(
            "OpportunityId",
            "reference",
            "Opportunity ID",
            nillable=False,
            reference_to=("Opportunity",),
            relationship_name="Opportunity",
            child_relationship="OpportunityLineItems",
        ),
        F(
            "Product2Id",
            "reference",
            "Product ID",
            reference_to=("Product2",),
            relationship_name="Product2",
            child_relationship="OpportunityLineItems",
            null_fraction=0.0,
        ),
        F(
            "Name",
            "string",
            "Opportunity Product Name",
            length=376,
            read_only=True,
            name_field=True,
            generator="product",
        ),
        F(
            "Quantity",
            "double",
            "Quantity",
            precision=12,
            scale=2,
            nillable=False,
            generator="quantity",
        ),
        F("UnitPrice", "currency", "Sales Price", precision=18, scale=2, generator="unit_price"),
        F(
            "TotalPrice",
            "currency",
            "Total Price",
            precision=18,
            scale=2,
            formula="Quantity * UnitPrice",
        ),
        F("ServiceDate", "date", "Date", generator="close_date", null_fraction=0.5),
        F("Description", "string", "Line Description", generator="sentence", null_fraction=0.6),
        *_audit(),
    ),
    flags(mruEnabled=False, feedEnabled=False),
    owned=False,
)

CASE = ObjectSpec(
    "Case",
    "Case",
    "Cases",
    "500",
    (
        _id("Case ID"),
        F(
            "CaseNumber",
            "string",
            "Case Number",
            length=30,
            read_only=True,
            name_field=True,
            generator="case_number",
            null_fraction=0.0,
        ),
        F(
            "AccountId",
            "reference",
            "Account ID",
            reference_to=("Account",),
            relationship_name="Account",
            child_relationship="Cases",
        ),
        F(
            "ContactId",
            "reference",
            "Contact ID",
            reference_to=("Contact",),
            relationship_name="Contact",
            child_relationship="Cases",
        ),
        F("Subject", "string", "Subject", generator="case_subject"),
        F("Description", "textarea", "Description", length=32000, generator="paragraph"),
        F(
            "Status",
            "picklist",
            "Status",
            length=40,
            picklist=("New", "Working", "Escalated", "Closed"),
            null_fraction=0.0,
        ),
        F("Priority", "picklist", "Priority", length=40, picklist=("High", "Medium", "Low")),
        F("Origin", "picklist", "Case Origin", length=40, picklist=("Phone", "Email", "Web")),
        F(
            "Type",
            "picklist",
            "Case Type",
            length=40,
            picklist=("Mechanical", "Electrical", "Electronic", "Structural", "Other"),
        ),
        F(
            "Reason",
            "picklist",
            "Case Reason",
            length=40,
            picklist=(
                "Installation",
                "Equipment Complexity",
                "Performance",
                "Breakdown",
                "Equipment Design",
                "Feedback",
                "Other",
            ),
        ),
        F("IsClosed", "boolean", "Closed", read_only=True),
        F("ClosedDate", "datetime", "Closed Date", read_only=True, null_fraction=0.6),
        F("IsEscalated", "boolean", "Escalated"),
        _owner(queues=True),
        *_audit(),
    ),
    flags(),
)

_WHO = ("Contact", "Lead")
_WHAT = ("Account", "Opportunity")
TASK = ObjectSpec(
    "Task",
    "Task",
    "Tasks",
    "00T",
    (
        _id("Activity ID"),
        F(
            "WhoId",
            "reference",
            "Name ID",
            reference_to=_WHO,
            relationship_name="Who",
            child_relationship="Tasks",
        ),
        F(
            "WhatId",
            "reference",
            "Related To ID",
            reference_to=_WHAT,
            relationship_name="What",
            child_relationship="Tasks",
        ),
        F("Subject", "combobox", "Subject", generator="task_subject"),
        F("ActivityDate", "date", "Due Date Only", generator="close_date"),
        F(
            "Status",
            "picklist",
            "Status",
            length=40,
            nillable=False,
            picklist=(
                "Not Started",
                "In Progress",
                "Completed",
                "Waiting on someone else",
                "Deferred",
            ),
        ),
        F(
            "Priority",
            "picklist",
            "Priority",
            length=40,
            nillable=False,
            picklist=("High", "Normal", "Low"),
        ),
        F("IsClosed", "boolean", "Closed", read_only=True),
        F("Description", "textarea", "Description", length=32000, generator="paragraph"),
        F("TaskSubtype", "picklist", "Task Subtype", length=40, picklist=("Task", "Email", "Call")),
        F(
            "CallDurationInSeconds",
            "int",
            "Call Duration",
            digits=8,
            generator="seconds",
            null_fraction=0.7,
        ),
        _owner(),
        *_audit(),
    ),
    flags(mergeable=False, replicateable=True),
)

EVENT = ObjectSpec(
    "Event",
    "Event",
    "Events",
    "00U",
    (
        _id("Activity ID"),
        F(
            "WhoId",
            "reference",
            "Name ID",
            reference_to=_WHO,
            relationship_name="Who",
            child_relationship="Events",
        ),
        F(
            "WhatId",
            "reference",
            "Related To ID",
            reference_to=_WHAT,
            relationship_name="What",
            child_relationship="Events",
        ),
        F("Subject", "combobox", "Subject", generator="event_subject"),
        F("Location", "string", "Location", generator="city"),
        F("IsAllDayEvent", "boolean", "All-Day Event"),
        F("ActivityDateTime", "datetime", "Due Date Time", generator="activity_datetime"),
        F("ActivityDate", "date", "Due Date Only", read_only=True),
        F("DurationInMinutes", "int", "Duration", digits=8, generator="minutes", null_fraction=0.0),
        F("EndDateTime", "datetime", "End Date Time", read_only=True),
        F("Description", "textarea", "Description", length=32000, generator="paragraph"),
        F(
            "ShowAs",
            "picklist",
            "Show Time As",
            length=40,
            picklist=("Busy", "OutOfOffice", "Free"),
        ),
        _owner(),
        *_audit(),
    ),
    flags(),
)

# Queues own records too: OwnerId of Case and Lead points to a User or to a Group of Type Queue.
GROUP = ObjectSpec(
    "Group",
    "Group",
    "Groups",
    "00G",
    (
        _id("Group ID"),
        F("Name", "string", "Name", length=40, nillable=False, name_field=True, null_fraction=0.0),
        F("DeveloperName", "string", "Developer Name", length=80, null_fraction=0.0),
        F(
            "Type",
            "picklist",
            "Type",
            length=40,
            nillable=False,
            picklist=("Queue", "Regular", "Role"),
            null_fraction=0.0,
        ),
        F("Email", "email", "Email", generator="email", null_fraction=1.0),
        *_audit(),
    ),
    flags(mergeable=False, replicateable=True),
    owned=False,
)

USER = ObjectSpec(
    "User",
    "User",
    "Users",
    "005",
    (
        _id("User ID"),
        F("Username", "string", "Username", length=80, nillable=False, unique=True),
        F("LastName", "string", "Last Name", length=80, nillable=False, compound_field_name="Name"),
        F("FirstName", "string", "First Name", length=40, compound_field_name="Name"),
        F("Name", "string", "Full Name", length=121, read_only=True, name_field=True),
        F("Alias", "string", "Alias", length=8, nillable=False),
        F("Email", "email", "Email", nillable=False),
        F("Title", "string", "Title", length=80),
        F("Department", "string", "Department", length=80),
        F("IsActive", "boolean", "Active"),
        F(
            "UserType",
            "picklist",
            "User Type",
            length=40,
            read_only=True,
            picklist=("Standard", "AutomatedProcess"),
        ),
        F(
            "ProfileId",
            "reference",
            "Profile ID",
            nillable=False,
            reference_to=("Profile",),
            relationship_name="Profile",
            child_relationship="Users",
        ),
        F(
            "UserRoleId",
            "reference",
            "Role ID",
            reference_to=("UserRole",),
            relationship_name="UserRole",
            child_relationship="Users",
        ),
        F(
            "ManagerId",
            "reference",
            "Manager ID",
            reference_to=("User",),
            relationship_name="Manager",
            child_relationship="ManagedUsers",
        ),
        F(
            "TimeZoneSidKey",
            "picklist",
            "Time Zone",
            length=40,
            nillable=False,
            picklist=("America/Los_Angeles", "America/New_York", "Europe/London"),
        ),
        F("LocaleSidKey", "picklist", "Locale", length=40, nillable=False, picklist=("en_US",)),
        F(
            "LanguageLocaleKey",
            "picklist",
            "Language",
            length=40,
            nillable=False,
            picklist=("en_US",),
        ),
        F("LastLoginDate", "datetime", "Last Login", read_only=True),
        *_audit(),
    ),
    flags(mergeable=False, deletable=False, undeletable=False),
    owned=False,
)

CAMPAIGN = ObjectSpec(
    "Campaign",
    "Campaign",
    "Campaigns",
    "701",
    (
        _id("Campaign ID"),
        F(
            "Name",
            "string",
            "Name",
            length=80,
            nillable=False,
            name_field=True,
            generator="campaign",
        ),
        F(
            "Type",
            "picklist",
            "Type",
            length=40,
            picklist=("Conference", "Webinar", "Trade Show", "Public Relations", "Email", "Other"),
        ),
        F(
            "Status",
            "picklist",
            "Status",
            length=40,
            picklist=("Planned", "In Progress", "Completed", "Aborted"),
        ),
        F("StartDate", "date", "Start Date", generator="past_date"),
        F("EndDate", "date", "End Date", generator="future_date"),
        F(
            "BudgetedCost",
            "currency",
            "Budgeted Cost in Campaign",
            precision=18,
            generator="amount",
        ),
        F("ActualCost", "currency", "Actual Cost in Campaign", precision=18, generator="amount"),
        F(
            "ExpectedRevenue",
            "currency",
            "Expected Revenue in Campaign",
            precision=18,
            generator="amount",
        ),
        F("NumberSent", "double", "Num Sent in Campaign", precision=18, generator="employees"),
        F("IsActive", "boolean", "Active"),
        F(
            "ParentId",
            "reference",
            "Parent Campaign ID",
            reference_to=("Campaign",),
            relationship_name="Parent",
            child_relationship="ChildCampaigns",
            null_fraction=0.8,
        ),
        _owner(),
        *_audit(),
    ),
    flags(),
)

CAMPAIGN_MEMBER = ObjectSpec(
    "CampaignMember",
    "Campaign Member",
    "Campaign Members",
    "00v",
    (
        _id("Campaign Member ID"),
        F(
            "CampaignId",
            "reference",
            "Campaign ID",
            nillable=False,
            reference_to=("Campaign",),
            relationship_name="Campaign",
            child_relationship="CampaignMembers",
            null_fraction=0.0,
        ),
        F(
            "LeadId",
            "reference",
            "Lead ID",
            reference_to=("Lead",),
            relationship_name="Lead",
            child_relationship="CampaignMembers",
            null_fraction=0.5,
        ),
        F(
            "ContactId",
            "reference",
            "Contact ID",
            reference_to=("Contact",),
            relationship_name="Contact",
            child_relationship="CampaignMembers",
            null_fraction=0.5,
        ),
        F("Status", "picklist", "Status", length=40, picklist=("Sent", "Responded")),
        F("HasResponded", "boolean", "Responded", read_only=True),
        F("FirstRespondedDate", "date", "First Responded Date", read_only=True, null_fraction=0.6),
        *_audit(),
    ),
    flags(mruEnabled=False),
    owned=False,
)

PRODUCT2 = ObjectSpec(
    "Product2",
    "Product",
    "Products",
    "01t",
    (
        _id("Product ID"),
        F("Name", "string", "Product Name", nillable=False, name_field=True, generator="product"),
        F("ProductCode", "string", "Product Code", generator="code"),
        F("Description", "textarea", "Product Description", length=4000, generator="sentence"),
        F("IsActive", "boolean", "Active"),
        F(
            "Family",
            "picklist",
            "Product Family",
            length=40,
            picklist=("Hardware", "Software", "Services"),
        ),
        *_audit(),
    ),
    flags(),
    owned=False,
)

PRICEBOOK2 = ObjectSpec(
    "Pricebook2",
    "Price Book",
    "Price Books",
    "01s",
    (
        _id("Price Book ID"),
        F(
            "Name",
            "string",
            "Price Book Name",
            nillable=False,
            name_field=True,
            generator="pricebook",
        ),
        F("IsActive", "boolean", "Active"),
        F("IsStandard", "boolean", "Is Standard Price Book", read_only=True),
        F("Description", "string", "Description", generator="sentence"),
        *_audit(),
    ),
    flags(),
    owned=False,
)

ATTACHMENT = ObjectSpec(
    "Attachment",
    "Attachment",
    "Attachments",
    "00P",
    (
        _id("Attachment ID"),
        F(
            "ParentId",
            "reference",
            "Parent ID",
            nillable=False,
            reference_to=("Account", "Opportunity"),
            relationship_name="Parent",
            child_relationship="Attachments",
            null_fraction=0.0,
        ),
        F("Name", "string", "File Name", nillable=False, name_field=True, generator="file_name"),
        F(
            "ContentType",
            "string",
            "Content Type",
            length=120,
            generator="content_type",
            null_fraction=0.0,
        ),
        F("BodyLength", "int", "Body Length", digits=18, read_only=True),
        F("Body", "base64", "Body", nillable=False, generator="body"),
        F("Description", "textarea", "Description", length=500, generator="sentence"),
        F("IsPrivate", "boolean", "Private"),
        _owner(),
        *_audit(),
    ),
    flags(feedEnabled=False, mruEnabled=False, layoutable=False, searchable=False),
)

PROJECT = ObjectSpec(
    "Project__c",
    "Project",
    "Projects",
    "a00",
    (
        _id("Record ID"),
        F(
            "Name",
            "string",
            "Project Name",
            length=80,
            nillable=False,
            name_field=True,
            generator="project",
        ),
        F(
            "Account__c",
            "reference",
            "Account",
            reference_to=("Account",),
            relationship_name="Account__r",
            child_relationship="Projects__r",
            null_fraction=0.05,
        ),
        F("Status__c", "picklist", "Status", picklist=("Planned", "Active", "On Hold", "Done")),
        F("Budget__c", "currency", "Budget", precision=16, scale=2, generator="amount"),
        F("Team_Size__c", "double", "Team Size", precision=3, generator="team_size"),
        F("Completion__c", "percent", "Completion", precision=5, scale=2, generator="probability"),
        F(
            "Hours_Estimate__c",
            "double",
            "Hours Estimate",
            precision=10,
            scale=1,
            generator="hours",
        ),
        F("Start_Date__c", "date", "Start Date", generator="past_date"),
        F("Kickoff_Time__c", "time", "Kickoff Time", generator="time"),
        F(
            "Tags__c",
            "multipicklist",
            "Tags",
            picklist=("Analytics", "Migration", "Integration", "Training", "Support"),
        ),
        F("Is_Billable__c", "boolean", "Billable"),
        F("Site_Url__c", "url", "Site URL", generator="website"),
        F("Contact_Email__c", "email", "Contact Email", generator="email"),
        F("Contact_Phone__c", "phone", "Contact Phone", generator="phone"),
        F(
            "Notes__c",
            "textarea",
            "Notes",
            length=32768,
            extra_type_info="plaintextarea",
            generator="paragraph",
        ),
        F("Access_Code__c", "encryptedstring", "Access Code", generator="secret"),
        F(
            "Site_Location__Latitude__s",
            "double",
            "Site Location (Latitude)",
            precision=9,
            scale=6,
            compound_field_name="Site_Location__c",
            generator="latitude",
        ),
        F(
            "Site_Location__Longitude__s",
            "double",
            "Site Location (Longitude)",
            precision=9,
            scale=6,
            compound_field_name="Site_Location__c",
            generator="longitude",
        ),
        F("Site_Location__c", "location", "Site Location"),
        F(
            "Budget_Per_Head__c",
            "currency",
            "Budget per Head",
            precision=18,
            scale=2,
            formula="Budget__c / Team_Size__c",
        ),
        F(
            "Status_Label__c",
            "string",
            "Status Label",
            length=1300,
            formula='TEXT(Status__c) & " - " & Name',
        ),
        _owner(),
        *_audit(),
    ),
    flags(feedEnabled=False, mergeable=False),
)

INVOICE = ObjectSpec(
    "Invoice__c",
    "Invoice",
    "Invoices",
    "a01",
    (
        _id("Record ID"),
        F(
            "Name",
            "string",
            "Invoice Number",
            length=80,
            nillable=False,
            name_field=True,
            read_only=True,
            generator="invoice_number",
            null_fraction=0.0,
        ),
        F(
            "Project__c",
            "reference",
            "Project",
            nillable=False,
            reference_to=("Project__c",),
            relationship_name="Project__r",
            child_relationship="Invoices__r",
            null_fraction=0.0,
        ),
        F("Amount__c", "currency", "Amount", precision=16, scale=2, generator="unit_price"),
        F("Paid__c", "boolean", "Paid"),
        F("Due_Date__c", "date", "Due Date", generator="close_date"),
        F("Paid_At__c", "datetime", "Paid At", generator="activity_datetime", null_fraction=0.4),
        F("Memo__c", "textarea", "Memo", generator="sentence", null_fraction=0.5),
        _owner(),
        *_audit(),
    ),
    flags(feedEnabled=False, mergeable=False),
)

#: Kinds of the generated custom fields of the wide object, in turn.
_WIDE_KINDS: tuple[tuple[str, str], ...] = (
    ("string", "Assessment_Note"),
    ("double", "Quarterly_Score_Metric"),
    ("boolean", "Compliance_Checkpoint_Flag"),
    ("date", "Regional_Review_Completion_Date"),
    ("picklist", "Stakeholder_Engagement_Level"),
    ("percent", "Territory_Coverage_Percentage"),
    ("currency", "Forecast_Adjustment_Amount"),
)
#: Custom fields generated on the wide object: with the named fields, over 600 in all.
WIDE_GENERATED_FIELDS = 596


def _wide_field(position: int) -> FieldSpec:
    kind, stem = _WIDE_KINDS[position % len(_WIDE_KINDS)]
    name = f"{stem}_{position:03d}__c"
    label = f"{stem.replace('_', ' ')} {position:03d}"
    if kind == "string":
        return F(name, "string", label, length=80, null_fraction=0.3)
    if kind == "picklist":
        return F(name, "picklist", label, length=40, picklist=("Low", "Medium", "High"))
    if kind in {"double", "percent", "currency"}:
        return F(name, kind, label, precision=18, scale=2, null_fraction=0.2)
    return F(name, kind, label)


# A wide object as real orgs grow them: hundreds of custom fields with long API names (a REST
# query of all of them passes Salesforce's 16,384-byte URI limit), long and rich text areas
# of up to 131,072 characters, and only a few rows.
FIELD_SURVEY = ObjectSpec(
    "Field_Survey__c",
    "Field Survey",
    "Field Surveys",
    "a02",
    (
        _id("Record ID"),
        F(
            "Name",
            "string",
            "Survey Name",
            length=80,
            nillable=False,
            name_field=True,
            generator="project",
            null_fraction=0.0,
        ),
        F(
            "Account__c",
            "reference",
            "Account",
            reference_to=("Account",),
            relationship_name="Account__r",
            child_relationship="Field_Surveys__r",
            null_fraction=0.0,
        ),
        F(
            "Findings__c",
            "textarea",
            "Findings",
            length=131072,
            extra_type_info="plaintextarea",
            null_fraction=0.0,
        ),
        F(
            "Summary__c",
            "textarea",
            "Summary",
            length=131072,
            extra_type_info="richtextarea",
            null_fraction=0.0,
        ),
        F("Contract_Value__c", "currency", "Contract Value", precision=18, scale=2),
        *(_wide_field(position) for position in range(WIDE_GENERATED_FIELDS)),
        _owner(),
        *_audit(),
    ),
    flags(feedEnabled=False, mergeable=False),
)

_PERMISSION_FIELDS = (
    F("PermissionsApiEnabled", "boolean", "API Enabled"),
    F("PermissionsRunReports", "boolean", "Run Reports"),
    F("PermissionsViewRoles", "boolean", "View Roles and Role Hierarchy"),
    F("PermissionsViewSetup", "boolean", "View Setup and Configuration"),
    F("PermissionsViewAllData", "boolean", "View All Data"),
)
PERMISSION_NAMES = tuple(spec.name for spec in _PERMISSION_FIELDS)

ORGANIZATION = ObjectSpec(
    "Organization",
    "Organization",
    "Organizations",
    "00D",
    (
        _id("Organization ID"),
        F("Name", "string", "Name", length=80, nillable=False, name_field=True),
        F(
            "OrganizationType",
            "picklist",
            "Edition",
            length=40,
            read_only=True,
            picklist=("Developer Edition", "Enterprise Edition"),
        ),
        F("IsSandbox", "boolean", "Is Sandbox", read_only=True),
        F("InstanceName", "string", "Instance Name", length=5, read_only=True),
        F("NamespacePrefix", "string", "Namespace Prefix", length=15, read_only=True),
        F("DefaultLocaleSidKey", "picklist", "Locale", length=40, picklist=("en_US",)),
        F(
            "TimeZoneSidKey",
            "picklist",
            "Default Time Zone",
            length=40,
            picklist=("America/Los_Angeles",),
        ),
        *_audit()[1:],
    ),
    flags(SETUP_OBJECT_FLAGS, replicateable=False),
    owned=False,
)

PROFILE = ObjectSpec(
    "Profile",
    "Profile",
    "Profiles",
    "00e",
    (
        _id("Profile ID"),
        F("Name", "string", "Name", nillable=False, name_field=True),
        *_PERMISSION_FIELDS,
        *_audit()[1:],
    ),
    flags(SETUP_OBJECT_FLAGS),
    owned=False,
)

PERMISSION_SET = ObjectSpec(
    "PermissionSet",
    "Permission Set",
    "Permission Sets",
    "0PS",
    (
        _id("Permission Set ID"),
        F("Name", "string", "Name", length=80, nillable=False, name_field=True),
        F("Label", "string", "Label", length=80, nillable=False),
        F("IsOwnedByProfile", "boolean", "Is Owned by Profile", read_only=True),
        F(
            "ProfileId",
            "reference",
            "Profile ID",
            reference_to=("Profile",),
            relationship_name="Profile",
            child_relationship="PermissionSets",
        ),
        *_PERMISSION_FIELDS,
        *_audit()[1:],
    ),
    flags(SETUP_OBJECT_FLAGS),
    owned=False,
)

PERMISSION_SET_ASSIGNMENT = ObjectSpec(
    "PermissionSetAssignment",
    "Permission Set Assignment",
    "Permission Set Assignments",
    "0Pa",
    (
        _id("Permission Set Assignment ID"),
        F(
            "AssigneeId",
            "reference",
            "Assignee ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="Assignee",
            child_relationship="PermissionSetAssignments",
        ),
        F(
            "PermissionSetId",
            "reference",
            "Permission Set ID",
            nillable=False,
            reference_to=("PermissionSet",),
            relationship_name="PermissionSet",
            child_relationship="Assignments",
        ),
        F("SystemModstamp", "datetime", "System Modstamp", nillable=False),
    ),
    flags(SETUP_OBJECT_FLAGS),
    owned=False,
    # Since Summer '20 only users with View Setup and Configuration can read assignments.
    required_permission="PermissionsViewSetup",
)

USER_ROLE = ObjectSpec(
    "UserRole",
    "Role",
    "Roles",
    "00E",
    (
        _id("Role ID"),
        F("Name", "string", "Name", length=80, nillable=False, name_field=True),
        F("DeveloperName", "string", "Developer Name", length=80, nillable=False),
        F(
            "ParentRoleId",
            "reference",
            "Parent Role ID",
            reference_to=("UserRole",),
            relationship_name="ParentRole",
        ),
        *_audit()[1:],
    ),
    flags(SETUP_OBJECT_FLAGS),
    owned=False,
)

USER_PERMISSION_ACCESS = ObjectSpec(
    "UserPermissionAccess",
    "User Permission Access",
    "User Permission Access",
    None,
    (
        _id("User Permission Access ID"),
        *_PERMISSION_FIELDS,
        F("LastCacheUpdate", "datetime", "Last Cache Update", read_only=True),
    ),
    flags(SETUP_OBJECT_FLAGS, replicateable=False, retrieveable=False),
    owned=False,
)

# Salesforce Files: a ContentDocument per file, its ContentVersions (the bytes live in
# VersionData) and a ContentDocumentLink per record or user the file is shared with. Their rows
# are derived from the attachments (see `content.py`), so the files match the attachments.
CONTENT_DOCUMENT = ObjectSpec(
    "ContentDocument",
    "Content Document",
    "Content Documents",
    "069",
    (
        _id("ContentDocument ID"),
        F(
            "CreatedById",
            "reference",
            "Created By ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="CreatedBy",
        ),
        F("CreatedDate", "datetime", "Created", nillable=False),
        F(
            "LastModifiedById",
            "reference",
            "Last Modified By ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="LastModifiedBy",
        ),
        F("LastModifiedDate", "datetime", "Last Modified Date", nillable=False),
        F("IsArchived", "boolean", "Is Archived", nillable=False),
        F(
            "ArchivedById",
            "reference",
            "User ID",
            reference_to=("User",),
            relationship_name="ArchivedBy",
        ),
        F("ArchivedDate", "date", "Archived Date"),
        F("IsDeleted", "boolean", "Is Deleted", nillable=False),
        F(
            "OwnerId",
            "reference",
            "Owner ID",
            nillable=False,
            reference_to=("User",),
            relationship_name="Owner",
        ),
        F("SystemModstamp", "datetime", "System Modstamp", nillable=False),
        F("Title", "string", "Title", length=255, nillable=False, name_field=True),
        F("PublishStatus", "picklist", "Publish Status", nillable=False, picklist=("U", "P", "R")),
        F(
            "LatestPublishedVersionId",
            "reference",
            "Latest Published Version ID",
            reference_to=("ContentVersion",),
            relationship_name="LatestPublishedVersion",
        ),
        F("Description", "textarea", "Description", length=1000),
        F("ContentSize", "int", "Size", digits=9),
        F("FileType", "string", "File Type", length=20),
        F("FileExtension", "string", "File Extension", length=40),
        F(
            "SharingOption",
            "picklist",
            "Prevent others from sharing and unsharing",
            picklist=("A", "R"),
        ),
        F("SharingPrivacy", "picklist", "File Privacy on Records", picklist=("N", "P")),
        F("ContentModifiedDate", "datetime", "Content Modified Date"),
    ),
    flags(feedEnabled=True, mruEnabled=True, layoutable=False, searchable=True),
)
CONTENT_VERSION = ObjectSpec(
    "ContentVersion",
    "Content Version",
    "Content Versions",
    "068",
    (
        _id("ContentVersion ID"),
        F(
            "ContentDocumentId",
            "reference",
            "ContentDocument ID",
            reference_to=("ContentDocument",),
            relationship_name="ContentDocument",
            child_relationship="ContentVersions",
            null_fraction=0.0,
        ),
        F("IsLatest", "boolean", "Is Latest", nillable=False),
        F("VersionNumber", "string", "Version Number", length=20),
        F("Title", "string", "Title", length=255, nillable=False, name_field=True),
        F("Description", "textarea", "Description", length=1000),
        F("PathOnClient", "string", "Path On Client", length=500),
        F("VersionData", "base64", "Version Data"),
        F("ContentSize", "int", "Size", digits=9, read_only=True),
        F("FileType", "string", "File Type", length=20),
        F("FileExtension", "string", "File Extension", length=40),
        F(
            "FirstPublishLocationId",
            "reference",
            "First Publish Location ID",
            reference_to=("Account", "Opportunity", "User"),
            relationship_name="FirstPublishLocation",
        ),
        F("Origin", "picklist", "Content Origin", nillable=False, picklist=("C", "H")),
        F(
            "ContentLocation",
            "picklist",
            "Content Location",
            nillable=False,
            picklist=("S", "E", "L"),
        ),
        F(
            "SharingOption",
            "picklist",
            "Prevent others from sharing and unsharing",
            nillable=False,
            picklist=("A", "R"),
        ),
        F(
            "SharingPrivacy",
            "picklist",
            "File Privacy on Records",
            nillable=False,
            picklist=("N", "P"),
        ),
        F("ContentModifiedDate", "datetime", "Content Modified Date"),
        _owner(),
        *_audit(),
    ),
    flags(feedEnabled=False, layoutable=True, searchable=True),
)
CONTENT_DOCUMENT_LINK = ObjectSpec(
    "ContentDocumentLink",
    "Content Document Link",
    "Content Document Link",
    "06A",
    (
        _id("ContentDocumentLink ID"),
        F(
            "LinkedEntityId",
            "reference",
            "Linked Entity ID",
            nillable=False,
            reference_to=("Account", "Opportunity", "User"),
            relationship_name="LinkedEntity",
            child_relationship="ContentDocumentLinks",
            null_fraction=0.0,
        ),
        F(
            "ContentDocumentId",
            "reference",
            "ContentDocument ID",
            nillable=False,
            reference_to=("ContentDocument",),
            relationship_name="ContentDocument",
            child_relationship="ContentDocumentLinks",
            null_fraction=0.0,
        ),
        F("IsDeleted", "boolean", "Deleted", nillable=False),
        F("SystemModstamp", "datetime", "System Modstamp", nillable=False),
        F("ShareType", "picklist", "Share Type", picklist=("V", "C", "I")),
        F(
            "Visibility",
            "picklist",
            "Visibility",
            picklist=("AllUsers", "InternalUsers", "SharedUsers"),
        ),
    ),
    flags(SETUP_OBJECT_FLAGS, replicateable=False, createable=True, deletable=True),
    # Salesforce refuses an unfiltered query of the links (a filter on one side is required).
    query_error=(
        "MALFORMED_QUERY",
        "Implementation restriction: ContentDocumentLink requires a filter by a single Id on "
        "ContentDocumentId or LinkedEntityId using the equals operator or multiple Id's using "
        "the IN operator.",
    ),
    owned=False,
)

DATA_OBJECTS: tuple[ObjectSpec, ...] = (
    USER,
    GROUP,
    ACCOUNT,
    CONTACT,
    LEAD,
    CAMPAIGN,
    PRODUCT2,
    PRICEBOOK2,
    OPPORTUNITY,
    OPPORTUNITY_LINE_ITEM,
    CASE,
    TASK,
    EVENT,
    CAMPAIGN_MEMBER,
    ATTACHMENT,
    PROJECT,
    INVOICE,
    FIELD_SURVEY,
    CONTENT_DOCUMENT,
    CONTENT_VERSION,
    CONTENT_DOCUMENT_LINK,
)
SETUP_OBJECTS: tuple[ObjectSpec, ...] = (
    ORGANIZATION,
    PROFILE,
    PERMISSION_SET,
    PERMISSION_SET_ASSIGNMENT,
    USER_ROLE,
    USER_PERMISSION_ACCESS,
)

# Default row counts of the seeded org: modest so tests stay fast, Contact above 2,000 so that
# paging happens with the default batch size.
DEFAULT_ROWS: dict[str, int] = {
    "Group": 3,
    "Account": 500,
    "Contact": 2600,
    "Lead": 700,
    "Campaign": 25,
    "Product2": 60,
    "Pricebook2": 2,
    "Opportunity": 900,
    "OpportunityLineItem": 1500,
    "Case": 600,
    "Task": 1200,
    "Event": 500,
    "CampaignMember": 400,
    "Attachment": 12,
    "Project__c": 250,
    "Invoice__c": 800,
    "Field_Survey__c": 40,
}


def _stub(
    name: str,
    label: str,
    prefix: str | None,
    base: dict[str, bool],
    query_error: tuple[str, str] | None = None,
    associate: str | None = None,
    parent: str | None = None,
) -> ObjectSpec:
    return ObjectSpec(
        name,
        label,
        label,
        prefix,
        (_id(f"{label} ID"),),
        base,
        associate,
        parent,
        query_error,
        owned=False,
    )


def _unsupported_query(name: str) -> tuple[str, str]:
    return ("INVALID_TYPE_FOR_OPERATION", f"entity type {name} does not support query")


def _restricted(message: str) -> tuple[str, str]:
    return ("MALFORMED_QUERY", f"Implementation restriction: {message}")


_READ_ONLY = flags(SETUP_OBJECT_FLAGS, replicateable=False)
_NOT_QUERYABLE = flags(_READ_ONLY, queryable=False, retrieveable=False)
_CHANGE_EVENT = flags(_NOT_QUERYABLE, retrieveable=True, triggerable=True)


def _reified(name: str, columns: str) -> tuple[str, str]:
    return ("MALFORMED_QUERY", f"{name}: a filter on a reified column is required [{columns}]")


def _change_event(base: str) -> ObjectSpec:
    # Custom objects drop the "c" of "__c": Project__c -> Project__ChangeEvent.
    name = base.removesuffix("c") + "ChangeEvent" if base.endswith("__c") else f"{base}ChangeEvent"
    return _stub(
        name,
        f"{base.removesuffix('__c')} Change Event",
        None,
        _CHANGE_EVENT,
        _unsupported_query(name),
        "ChangeEvent",
        base,
    )


# Objects the product must skip (unsupported-objects.txt, ChangeEvents) or cannot query. They
# appear in describeGlobal like in a real org and fail the way a real org fails.
SKIPPED_OBJECTS: tuple[ObjectSpec, ...] = (
    _stub("AcceptedEventRelation", "Accepted Event Relation", None, _READ_ONLY),
    _stub("DeclinedEventRelation", "Declined Event Relation", None, _READ_ONLY),
    _stub("UndecidedEventRelation", "Undecided Event Relation", None, _READ_ONLY),
    _stub("EventWhoRelation", "Event Relation", None, _READ_ONLY),
    _stub("TaskWhoRelation", "Task Relation", None, _READ_ONLY),
    _stub("CaseStatus", "Case Status Value", "01J", _READ_ONLY),
    _stub("TaskStatus", "Task Status Value", "01J", _READ_ONLY),
    _stub("TaskPriority", "Task Priority Value", "01J", _READ_ONLY),
    _stub("SolutionStatus", "Solution Status Value", "01J", _READ_ONLY),
    _stub("ContractStatus", "Contract Status Value", "01J", _READ_ONLY),
    _stub("PartnerRole", "Partner Role Value", "01J", _READ_ONLY),
    _stub("RecentlyViewed", "Recently Viewed", None, _READ_ONLY),
    _stub(
        "Vote",
        "Vote",
        "083",
        flags(_READ_ONLY, replicateable=True),
        _restricted("Vote requires a filter by a single Id on ParentId using the equals operator"),
    ),
    _stub(
        "IdeaComment",
        "Idea Comment",
        "00a",
        _READ_ONLY,
        _restricted(
            "IdeaComment requires a filter by CommunityId = [single ID], Id = "
            "[single ID], IdeaId = [single ID], Id IN [list of ID's] or IdeaId IN "
            "[list of ID's]"
        ),
    ),
    _stub(
        "FieldDefinition",
        "Field Definition",
        None,
        _READ_ONLY,
        _reified("FieldDefinition", "EntityDefinitionId,DurableId"),
    ),
    _stub(
        "EntityParticle",
        "Entity Particle",
        None,
        _READ_ONLY,
        _reified("EntityParticle", "EntityDefinitionId,FieldDefinitionId,DurableId"),
    ),
    _stub(
        "PicklistValueInfo",
        "Picklist Value Info",
        None,
        _READ_ONLY,
        _reified("PicklistValueInfo", "EntityParticleId,DurableId"),
    ),
    _stub(
        "UserEntityAccess",
        "User Entity Access",
        "07u",
        flags(_READ_ONLY, retrieveable=False),
        _reified("UserEntityAccess", "UserId,DurableId"),
    ),
    _stub(
        "UserFieldAccess",
        "User Field Access",
        "4fp",
        flags(_READ_ONLY, retrieveable=False),
        _reified("UserFieldAccess", "DurableId"),
    ),
    _stub(
        "UserRecordAccess",
        "User Record Access",
        None,
        flags(_READ_ONLY, retrieveable=False),
        ("INVALID_FIELD", "Can select only RecordId, a Has*Access field, and MaxAccessLevel"),
    ),
    _stub(
        "PlatformAction",
        "Platform Action",
        None,
        _READ_ONLY,
        ("MALFORMED_QUERY", "Getting all PlatformAction entities is unsupported"),
    ),
    _stub(
        "ListViewChartInstance",
        "List View Chart Instance",
        None,
        _READ_ONLY,
        ("MALFORMED_QUERY", "Getting all ListViewChartInstances is unsupported"),
    ),
    _stub(
        "OutgoingEmail",
        "Outgoing Email",
        None,
        _READ_ONLY,
        ("MALFORMED_QUERY", "This query is not supported on the OutgoingEmail object."),
    ),
    _stub(
        "DataStatistics",
        "Data Statistics",
        None,
        _READ_ONLY,
        ("EXTERNAL_OBJECT_UNSUPPORTED_EXCEPTION", "Where clauses should contain StatType"),
    ),
    _stub(
        "FlexQueueItem",
        "Flex Queue Item",
        None,
        _READ_ONLY,
        ("MALFORMED_QUERY", "The WHERE clause must contain a JobType field expression."),
    ),
    *(
        _stub(name, name, None, _NOT_QUERYABLE, _unsupported_query(name))
        for name in (
            "ActivityHistory",
            "AggregateResult",
            "AttachedContentDocument",
            "AttachedContentNote",
            "CombinedAttachment",
            "ContentBody",
            "EmailStatus",
            "FeedLike",
            "FeedSignal",
            "FeedTrackedChange",
            "FolderedContentDocument",
            "LookedUpFromActivity",
            "Name",
            "NoteAndAttachment",
            "OpenActivity",
            "OwnedContentDocument",
            "ProcessInstanceHistory",
            "QuoteTemplateRichTextData",
            "UriEventStream",
            "AssetTokenEvent",
        )
    ),
    *(
        _change_event(base)
        for base in ("Account", "Contact", "Lead", "Opportunity", "Case", "Project__c")
    ),
)


ALL_OBJECTS: tuple[ObjectSpec, ...] = DATA_OBJECTS + SETUP_OBJECTS + SKIPPED_OBJECTS
