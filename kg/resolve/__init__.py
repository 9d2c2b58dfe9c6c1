"""Resolution: what the extracted text refers to. The gazetteer of GB/T 2260 regions (``regions``), names and page
hosts → region codes (``names``, ``hosts``), who reports from the evidence a report gives (``identity``), 机关代字 →
issuing organ and region (``issuers``), short agency names → full names (``agencies``), and the concept schemes'
lookups (``vocab``). Nothing here imports the extractors."""
