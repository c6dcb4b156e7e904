//! Registration with paste-deploy (feature `deploy`).
