//! Vendor token flows: one file per service whose flow is not standard OAuth.

pub(crate) mod arcgis;
pub(crate) mod arcgis_oauth;
pub(crate) mod arcgis_token;
pub(crate) mod itkpd;
