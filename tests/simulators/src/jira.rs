//! Simulator for jira (being written).
