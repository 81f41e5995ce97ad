# Django's zh_Hans formats group digits by four with no separator ("181244.48"); Chinese financial
# documents and the desk's users write amounts in groups of three with commas ("181,244.48").
# Used only where grouping is asked for (the ``money`` filter, ``floatformat:"2g"``).
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
